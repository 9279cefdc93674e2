import { type Migration, pendingMigrations } from '../db/migrator.js';
import type { Pool } from '../db/pool.js';

export type CheckResult = { ok: boolean; detail?: string; [key: string]: unknown };
export type Readiness = { ready: boolean; checks: Record<'database' | 'migrations' | 'queue', CheckResult> };

type Deps = {
  pool: Pick<Pool, 'query'>;
  migrations: Migration[];
  isQueueRunning: () => boolean;
  isShuttingDown: () => boolean;
  timeoutMs?: number;
};

const DEFAULT_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What /readyz reports: each check says what failed so the operator knows where to look. */
export function createReadinessCheck({ pool, migrations, isQueueRunning, isShuttingDown, timeoutMs }: Deps) {
  const budgetMs = timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function checkDatabase(): Promise<CheckResult> {
    const startedAt = Date.now();
    try {
      await withTimeout(pool.query('select 1'), budgetMs, 'the database');
      return { ok: true, latencyMs: Date.now() - startedAt };
    } catch (error) {
      return { ok: false, detail: `database unreachable: ${(error as Error).message}; check DATABASE_URL` };
    }
  }

  async function checkMigrations(databaseOk: boolean): Promise<CheckResult> {
    if (!databaseOk) return { ok: false, detail: 'unknown while the database is unreachable' };
    try {
      const pending = await withTimeout(pendingMigrations(pool, migrations), budgetMs, 'the database');
      return pending.length === 0
        ? { ok: true, applied: migrations.length }
        : {
            ok: false,
            pending,
            detail: `${pending.length} migration(s) not applied; restart the service to apply them`,
          };
    } catch (error) {
      return { ok: false, detail: `could not read migration history: ${(error as Error).message}` };
    }
  }

  async function check(): Promise<Readiness> {
    const database = await checkDatabase();
    const migrationsCheck = await checkMigrations(database.ok);
    const queue: CheckResult = isShuttingDown()
      ? { ok: false, detail: 'shutting down' }
      : isQueueRunning()
        ? { ok: true }
        : { ok: false, detail: 'job queue is not running' };
    const checks = { database, migrations: migrationsCheck, queue };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  return { check };
}

export type ReadinessCheck = ReturnType<typeof createReadinessCheck>;
