import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { listMigrations } from '../src/db/migrator.js';
import { createTestDatabase } from './helpers/database.js';
import { type ServiceProcess, spawnService, stopService, waitUntilReady } from './helpers/process.js';

const running: ServiceProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((proc) => stopService(proc)));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'seleto-proc-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function start(env: Record<string, string>, cwd: string): Promise<ServiceProcess> {
  const proc = await spawnService({ LOG_LEVEL: 'info', ...env }, cwd);
  running.push(proc);
  return proc;
}

describe('the service process', () => {
  it('stops on a malformed variable with one clear line and exit code 1', async () => {
    const proc = await start({ PORT: 'abc' }, await tempDir());
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toBe(
      'Invalid configuration: PORT must be an integer from 0 to 65535 (got "abc")\n',
    );
    expect(proc.stdout()).toBe('');
  });

  it('runs on the embedded database with no environment, and keeps its data across a restart', async () => {
    const cwd = await tempDir();
    const first = await start({}, cwd);
    const ready = await waitUntilReady(first);
    expect(ready).toMatchObject({ status: 'ready', checks: { migrations: { ok: true } } });
    const firstRun = first.logLines().find((l) => l.msg === 'migrations applied');
    expect(firstRun?.applied).toEqual((await listMigrations()).map((m) => m.version));

    // A second process on the same DATA_DIR is refused: the embedded database serves one instance.
    const intruder = await start({}, cwd);
    expect(await intruder.exited).toBe(1);
    expect(intruder.stdout()).toContain('embedded database serves one instance');
    expect(intruder.stdout()).toContain('DATABASE_URL');

    expect(await stopService(first)).toBe(0);
    expect(first.logLines().map((l) => l.msg)).toContain('service stopped');

    const second = await start({}, cwd);
    await waitUntilReady(second);
    expect(second.logLines().find((l) => l.msg === 'migrations up to date')).toMatchObject({ applied: [] });
    expect(await stopService(second)).toBe(0);
  }, 60_000);

  it('starts three instances at the same moment on one empty database; all become ready', async () => {
    const db = await createTestDatabase({ migrated: false });
    cleanups.push(db.drop);
    const cwd = await tempDir();

    const instances = await Promise.all([
      start({ DATABASE_URL: db.url }, cwd),
      start({ DATABASE_URL: db.url }, cwd),
    ]);
    await Promise.all(instances.map((proc) => waitUntilReady(proc)));

    const appliedLines = instances.flatMap((proc) =>
      proc.logLines().filter((l) => l.msg === 'migration applied'),
    );
    const versions = (await listMigrations()).map((m) => m.version);
    expect(appliedLines.map((l) => l.version).sort()).toEqual(versions);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const history = await client.query(
      'select version from supabase_migrations.schema_migrations order by 1',
    );
    await client.end();
    expect(history.rows.map((r) => r.version)).toEqual(versions);
    for (const proc of instances) expect(await stopService(proc)).toBe(0);
  }, 60_000);

  it('exits 1 with an actionable message when the database is unreachable', async () => {
    const proc = await start(
      { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATABASE_CONNECT_TIMEOUT_MS: '1000' },
      await tempDir(),
    );
    expect(await proc.exited).toBe(1);
    const fatal = proc.logLines().find((l) => l.level === 'fatal');
    expect(fatal?.msg).toContain('cannot reach the database at 127.0.0.1:1/none');
    expect(fatal?.msg).toContain('check DATABASE_URL');
    const retries = proc.logLines().filter((l) => l.msg === 'database not reachable yet');
    expect(retries.length).toBeGreaterThan(0);
  });
});
