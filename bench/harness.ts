import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type ServiceProcess, spawnService, stopService, waitUntilReady } from '../tests/helpers/process.js';
import { startTestPostgres } from '../tests/setup/postgres-server.js';

/**
 * What the service-level bench scripts share: a PostgreSQL with throwaway databases, and the
 * real service as `npm start` runs it (`src/main.ts` in its own process, so its RSS and start-up
 * are the process's own and the load generator does not share its event loop).
 */
export const KNOWLEDGE_DIR = fileURLToPath(new URL('../knowledge', import.meta.url));

export type BenchDatabase = { url: string; drop: () => Promise<void> };

export async function startBenchPostgres() {
  const server = await startTestPostgres();
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  const created = new Set<string>();

  async function createDatabase(prefix: string): Promise<BenchDatabase> {
    const name = `${prefix}_${randomBytes(4).toString('hex')}`;
    await admin.query(`create database ${name}`);
    created.add(name);
    const url = new URL(server.adminUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      drop: async () => {
        created.delete(name);
        await admin.query(`drop database if exists ${name} with (force)`);
      },
    };
  }

  async function stop() {
    for (const name of created) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    await server.stop();
  }

  return { describe: server.describe, createDatabase, stop };
}
export type BenchPostgres = Awaited<ReturnType<typeof startBenchPostgres>>;

/** A working directory of its own, so no developer `.env` leaks into the measured process. */
export async function makeTempDir(prefix: string) {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export type RunningService = { proc: ServiceProcess; url: string; stop: () => Promise<number | null> };

/** Starts `src/main.ts` with only `env` (plus the repo's knowledge base) and waits for /readyz. */
export async function startServiceProcess(
  env: Record<string, string>,
  options: { nodeArgs?: string[] } = {},
): Promise<RunningService> {
  const cwd = await makeTempDir('seleto-bench-cwd-');
  const proc = await spawnService({ LOG_LEVEL: 'warn', KNOWLEDGE_DIR, ...env }, cwd.dir, options);
  const stop = async () => {
    const code = await stopService(proc);
    await cwd.remove();
    return code;
  };
  try {
    await waitUntilReady(proc, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { proc, url: `http://127.0.0.1:${proc.port}`, stop };
}

/** Resident set size of a Linux process, from /proc (what `ps` and the kernel's OOM killer see). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/** The median of a few samples a short interval apart: one sample can land mid-allocation. */
export async function sampleRss(pid: number, samples = 5, intervalMs = 200): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(intervalMs);
    values.push(await rssBytes(pid));
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)] ?? Number.NaN;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

export function positiveEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
