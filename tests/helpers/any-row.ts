import type pg from 'pg';

/** Every ordinary or partitioned table in `public`, with whether row-level security is on. */
export async function publicTables(client: pg.Client): Promise<{ name: string; rls: boolean }[]> {
  const result = await client.query<{ name: string; rls: boolean }>(
    `select c.relname as name, c.relrowsecurity as rls
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p')
     order by 1`,
  );
  return result.rows;
}

/**
 * Inserts one row whatever the table's columns, with checks and NOT NULLs dropped. Meant for
 * a transaction that is rolled back, with `session_replication_role = replica` so foreign keys
 * (triggers) are skipped: tests that need "a row in every table" need no knowledge of columns.
 */
export async function insertAnyRow(client: pg.Client, table: string): Promise<void> {
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
