import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../src/db/pool.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { captureLogs } from './helpers/logs.js';
import { waitFor } from './helpers/wait.js';

let db: TestDatabase;
let pool: Pool;
const logs = captureLogs();

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 3, log: logs.log });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('database pool', () => {
  it('survives the server killing a connection that is checked out, and keeps serving', async () => {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    // Another session kills it, as a failover or an administrator would.
    await pool.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
    await waitFor(() => logs.lines.some((line) => line.msg === 'database connection failed while in use'), {
      what: 'the connection failure logged',
    });
    client.release(true);
    const after = await pool.query<{ ok: number }>('select 1 as ok');
    expect(after.rows[0]?.ok).toBe(1);
  });
});
