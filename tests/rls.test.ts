import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAnyRow, publicTables } from './helpers/any-row.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

/**
 * Guards every table in `public`, present and future: RLS must be on, and `anon` (Supabase's
 * unauthenticated API role) must not read a single row. Each table gets a row written by the
 * superuser with constraints relaxed inside a transaction that is rolled back, so the check
 * needs no knowledge of the table's columns.
 */

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await db.drop();
});

describe('row-level security', () => {
  it('is enabled on every table in the public schema', async () => {
    const tables = await publicTables(client);
    expect(tables.length).toBeGreaterThan(0);
    expect(tables.filter((t) => !t.rls).map((t) => t.name)).toEqual([]);
  });

  it('lets anon read no row of any table', async () => {
    const tables = await publicTables(client);
    const readable: string[] = [];
    for (const { name } of tables) {
      await client.query('begin');
      try {
        // Foreign keys are triggers: replica mode skips them for this transaction only.
        await client.query('set local session_replication_role = replica');
        await insertAnyRow(client, name);
        const total = await client.query(
          `select count(*)::int as n from public.${client.escapeIdentifier(name)}`,
        );
        expect(total.rows[0].n, `seeded a row in ${name}`).toBeGreaterThan(0);
        await client.query('set local role anon');
        const seen = await client.query(
          `select count(*)::int as n from public.${client.escapeIdentifier(name)}`,
        );
        if (seen.rows[0].n > 0) readable.push(name);
      } finally {
        await client.query('rollback');
      }
    }
    expect(readable).toEqual([]);
  });

  it('keeps the job queue and migration history out of reach of the API roles', async () => {
    const result = await client.query<{ schema: string; role: string; usage: boolean }>(
      `select s.schema, r.role, has_schema_privilege(r.role, s.schema, 'usage') as usage
       from unnest(array['pgboss', 'supabase_migrations']) as s(schema),
            unnest(array['anon', 'authenticated']) as r(role)`,
    );
    expect(result.rows.filter((r) => r.usage)).toEqual([]);
  });

  it('shows dead letters to a signed-in admin only', async () => {
    await client.query('begin');
    try {
      await client.query(
        `insert into dead_letters (source_job_id, queue, payload, error) values (gen_random_uuid(), 'q', '{}', 'e')`,
      );
      await client.query('set local role authenticated');
      await client.query(
        `select set_config('request.jwt.claims', '{"sub":"00000000-0000-0000-0000-000000000001"}', true)`,
      );
      expect((await client.query('select * from dead_letters')).rowCount).toBe(0);
      await client.query(
        `select set_config('request.jwt.claims', '{"sub":"00000000-0000-0000-0000-000000000001","app_metadata":{"role":"admin"}}', true)`,
      );
      expect((await client.query('select * from dead_letters')).rowCount).toBe(1);
    } finally {
      await client.query('rollback');
    }
  });
});
