import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

async function publicTables(): Promise<{ name: string; rls: boolean }[]> {
  const result = await client.query<{ name: string; rls: boolean }>(
    `select c.relname as name, c.relrowsecurity as rls
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p')
     order by 1`,
  );
  return result.rows;
}

/** Inserts one row whatever the table's columns, with checks, NOT NULLs and foreign keys off. */
async function insertAnyRow(table: string): Promise<void> {
  const ident = client.escapeIdentifier(table);
  const checks = await client.query<{ conname: string }>(
    `select conname from pg_constraint where conrelid = $1::regclass and contype = 'c'`,
    [`public.${ident}`],
  );
  for (const { conname } of checks.rows) {
    await client.query(`alter table public.${ident} drop constraint ${client.escapeIdentifier(conname)}`);
  }
  const columns = await client.query<{ name: string; type: string; isKey: boolean; hasDefault: boolean }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
            coalesce(a.attnum = any(i.indkey), false) as "isKey",
            (a.atthasdef or a.attidentity <> '' or a.attgenerated <> '') as "hasDefault"
     from pg_attribute a
     left join pg_index i on i.indrelid = a.attrelid and i.indisprimary
     where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped`,
    [`public.${ident}`],
  );
  const keyValues: string[] = [];
  const keyColumns: string[] = [];
  for (const column of columns.rows) {
    if (column.isKey && !column.hasDefault) {
      keyColumns.push(client.escapeIdentifier(column.name));
      keyValues.push(
        `(case when '${column.type}' = 'uuid' then gen_random_uuid()::text else '1' end)::${column.type}`,
      );
    } else if (!column.isKey) {
      await client.query(
        `alter table public.${ident} alter column ${client.escapeIdentifier(column.name)} drop not null`,
      );
    }
  }
  await client.query(
    keyColumns.length > 0
      ? `insert into public.${ident} (${keyColumns.join(', ')}) values (${keyValues.join(', ')})`
      : `insert into public.${ident} default values`,
  );
}

describe('row-level security', () => {
  it('is enabled on every table in the public schema', async () => {
    const tables = await publicTables();
    expect(tables.length).toBeGreaterThan(0);
    expect(tables.filter((t) => !t.rls).map((t) => t.name)).toEqual([]);
  });

  it('lets anon read no row of any table', async () => {
    const tables = await publicTables();
    const readable: string[] = [];
    for (const { name } of tables) {
      await client.query('begin');
      try {
        // Foreign keys are triggers: replica mode skips them for this transaction only.
        await client.query('set local session_replication_role = replica');
        await insertAnyRow(name);
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
