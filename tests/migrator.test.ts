import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUE_SCHEMA, queueSchemaInstaller } from '../src/db/job-queue.js';
import { listMigrations, migrate, pendingMigrations } from '../src/db/migrator.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { captureLogs } from './helpers/logs.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function emptyDatabase(poolMax = 10): Promise<{ db: TestDatabase; pool: Pool }> {
  const db = await createTestDatabase({ migrated: false });
  const pool = createPool({ connectionString: db.url, max: poolMax, log: captureLogs().log });
  cleanups.push(db.drop, () => pool.end());
  return { db, pool };
}

describe('migrator', () => {
  it('applies every migration in order and records it in the Supabase history table', async () => {
    const { pool } = await emptyDatabase();
    const files = await listMigrations();
    const { log } = captureLogs();

    const result = await migrate({ pool, log });

    expect(result.applied).toEqual(files.map((f) => f.version));
    const history = await pool.query(
      'select version, name, statements from supabase_migrations.schema_migrations order by version',
    );
    expect(history.rows.map((r) => r.version)).toEqual(files.map((f) => f.version));
    expect(history.rows.map((r) => r.name)).toEqual(files.map((f) => f.name));
    expect(history.rows[0].statements[0]).toContain('create role anon');
    expect(await pendingMigrations(pool, files)).toEqual([]);
  });

  it('applies nothing the second time', async () => {
    const { pool } = await emptyDatabase();
    const { log } = captureLogs();
    await migrate({ pool, log });
    expect((await migrate({ pool, log })).applied).toEqual([]);
  });

  it('applies each migration and installs the queue schema once when several instances start at the same moment', async () => {
    const { db } = await emptyDatabase();
    const instances = Array.from({ length: 6 }, () => {
      const pool = createPool({ connectionString: db.url, max: 2, log: captureLogs().log });
      cleanups.push(() => pool.end());
      return pool;
    });
    const { log } = captureLogs();

    const results = await Promise.all(
      instances.map((pool) => migrate({ pool, log, installers: [queueSchemaInstaller] })),
    );

    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual((await listMigrations()).map((f) => f.version));
    const roles = await instances[0]?.query(
      `select rolname from pg_roles where rolname in ('anon', 'authenticated', 'service_role') order by 1`,
    );
    expect(roles?.rows.map((r) => r.rolname)).toEqual(['anon', 'authenticated', 'service_role']);
    const queueVersion = await instances[0]?.query(`select version from ${QUEUE_SCHEMA}.version`);
    expect(queueVersion?.rowCount).toBe(1);
  });

  it('rolls back a failing migration, names the file, and leaves earlier ones applied', async () => {
    const { pool } = await emptyDatabase();
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    await writeFile(path.join(dir, '001_good.sql'), 'create table good (id int);');
    await writeFile(
      path.join(dir, '002_bad.sql'),
      'create table half (id int); select * from missing_table;',
    );
    const { log } = captureLogs();

    await expect(migrate({ pool, log, dir })).rejects.toThrow(
      /migration 002_bad\.sql failed: relation "missing_table"/,
    );

    const tables = await pool.query(`select to_regclass('good') as good, to_regclass('half') as half`);
    expect(tables.rows[0]).toEqual({ good: 'good', half: null });
    expect(await pendingMigrations(pool, await listMigrations(dir))).toEqual(['002']);
  });

  it('refuses a migration file whose name has no version', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    await writeFile(path.join(dir, 'add_leads.sql'), 'select 1;');
    await expect(listMigrations(dir)).rejects.toThrow(/must be named <version>_<name>\.sql/);
  });

  it('keeps the auth helpers Supabase has instead of replacing them', async () => {
    const { pool } = await emptyDatabase();
    await pool.query(
      `create schema auth; create function auth.uid() returns uuid language sql as $$ select null::uuid $$`,
    );
    await migrate({ pool, log: captureLogs().log });
    const source = await pool.query(`select prosrc from pg_proc where proname = 'uid'`);
    expect(source.rows[0].prosrc).toContain('select null::uuid');
    const jwt = await pool.query(
      `select set_config('request.jwt.claims', '{"sub":"u1","role":"authenticated"}', false), auth.jwt() ->> 'role' as role`,
    );
    expect(jwt.rows[0].role).toBe('authenticated');
  });
});
