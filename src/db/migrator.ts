import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../observability/logger.js';
import type { Pool, Queryable } from './pool.js';

/**
 * Applies `supabase/migrations/<version>_<name>.sql` in version order, each in its own
 * transaction. History lives in the Supabase CLI's own table, so `supabase db push` and this
 * migrator agree on what is applied. A session advisory lock makes concurrent start-ups of
 * several instances apply each file exactly once.
 */

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));

// Any stable 64-bit number; only this migrator takes it.
const MIGRATION_LOCK_KEY = 7_162_534_001;
const FILE_PATTERN = /^(\d+)_([\w-]+)\.sql$/;

export type Migration = { version: string; name: string; file: string };

const HISTORY_DDL = `
  create schema if not exists supabase_migrations;
  create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
  alter table supabase_migrations.schema_migrations add column if not exists statements text[];
  alter table supabase_migrations.schema_migrations add column if not exists name text;
`;

export async function listMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  return files.map((file) => {
    const match = FILE_PATTERN.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new Error(
        `migration file ${file} must be named <version>_<name>.sql (e.g. 20260101000000_leads.sql)`,
      );
    }
    return { version: match[1], name: match[2], file: path.join(dir, file) };
  });
}

async function appliedVersions(db: Queryable): Promise<Set<string>> {
  const exists = await db.query<{ present: boolean }>(
    `select to_regclass('supabase_migrations.schema_migrations') is not null as present`,
  );
  if (!exists.rows[0]?.present) return new Set();
  const result = await db.query<{ version: string }>(
    'select version from supabase_migrations.schema_migrations',
  );
  return new Set(result.rows.map((row) => row.version));
}

/** Versions present on disk but not applied to the database. */
export async function pendingMigrations(db: Queryable, migrations: Migration[]): Promise<string[]> {
  const applied = await appliedVersions(db);
  return migrations.filter((m) => !applied.has(m.version)).map((m) => m.version);
}

export type MigrateResult = { applied: string[]; total: number; durationMs: number };

/**
 * Schema owned by a library (the job queue's) rather than by our SQL files: installed under
 * the same lock, after the migrations, so concurrent start-ups never race to create it.
 */
export type SchemaInstaller = { name: string; install: (db: Queryable) => Promise<void> };

export async function migrate({
  pool,
  log,
  dir = MIGRATIONS_DIR,
  installers = [],
}: {
  pool: Pool;
  log: Logger;
  dir?: string;
  installers?: SchemaInstaller[];
}): Promise<MigrateResult> {
  const startedAt = Date.now();
  const migrations = await listMigrations(dir);
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(HISTORY_DDL);
      const done = await appliedVersions(client);
      for (const migration of migrations.filter((m) => !done.has(m.version))) {
        const sql = await readFile(migration.file, 'utf8');
        await client.query('begin');
        try {
          await client.query(sql);
          await client.query(
            'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
            [migration.version, migration.name, [sql]],
          );
          await client.query('commit');
        } catch (error) {
          await client.query('rollback');
          throw new Error(`migration ${path.basename(migration.file)} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        applied.push(migration.version);
        log.info({ version: migration.version, name: migration.name }, 'migration applied');
      }
      for (const installer of installers) await installer.install(client);
    } finally {
      // A broken connection ends the session, which releases the lock anyway.
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
  const result = { applied, total: migrations.length, durationMs: Date.now() - startedAt };
  log.info(result, applied.length > 0 ? 'migrations applied' : 'migrations up to date');
  return result;
}
