import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../tests/helpers/free-port.js';
import { spawnService, stopService } from '../tests/helpers/process.js';
import {
  type BenchPostgres,
  KNOWLEDGE_DIR,
  makeTempDir,
  positiveEnv,
  startBenchPostgres,
} from './harness.js';
import { type BenchResult, emitResults, formatTable, isQuick, result } from './report.js';

/**
 * `npm run bench:cold-start`: how long `npm start` (`node --import tsx src/main.ts`) takes from
 * spawn to its first `GET /readyz` 200, on the embedded default (a fresh DATA_DIR, then the
 * same folder again) and on DATABASE_URL (a fresh database, then the migrated one). Baseline: a
 * bare Fastify app under the same tsx loader, spawned the same way, answering /readyz as soon
 * as it listens. Target (foundation issue): ready within 10 s.
 */
const BENCH = 'cold-start';
const RUNS = positiveEnv('BENCH_RUNS', isQuick() ? 1 : 3);
const TARGET_READY_MS = 10_000;
const POLL_MS = 20;
const READY_TIMEOUT_MS = 60_000;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');
const BARE_APP = `
import Fastify from 'fastify';
const app = Fastify();
app.get('/readyz', async () => ({ status: 'ready' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
`;

type Case = 'bare' | 'embedded-fresh' | 'embedded-warm' | 'database-fresh' | 'database-migrated';

/** Polls /readyz until 200; rejects if the process exits first or the deadline passes. */
async function timeToReady(child: ChildProcess, port: number, startedAt: number): Promise<number> {
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`exited with code ${code} before it was ready`);
  });
  exited.catch(() => undefined);
  const poll = (async () => {
    while (performance.now() - startedAt < READY_TIMEOUT_MS) {
      const status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (response) => response.arrayBuffer().then(() => response.status),
        () => 0,
      );
      if (status === 200) return performance.now() - startedAt;
      await sleep(POLL_MS);
    }
    throw new Error(`not ready within ${READY_TIMEOUT_MS} ms`);
  })();
  return Promise.race([poll, exited]);
}

async function measureBare(): Promise<number> {
  const port = await freePort();
  const startedAt = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', TSX_LOADER, '--input-type=module', '-e', BARE_APP],
    // The repo root, so `fastify` resolves from its node_modules.
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', PORT: String(port) }, stdio: 'ignore' },
  );
  try {
    return await timeToReady(child, port, startedAt);
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

/** One start of the real service with `env`, in a working directory with no `.env`. */
async function measureService(env: Record<string, string>): Promise<number> {
  const cwd = await makeTempDir('seleto-bench-cwd-');
  const port = await freePort();
  const startedAt = performance.now();
  const proc = await spawnService({ LOG_LEVEL: 'warn', KNOWLEDGE_DIR, PORT: String(port), ...env }, cwd.dir);
  try {
    return await timeToReady(proc.child, port, startedAt).catch((error: Error) => {
      throw new Error(`${error.message}\n${proc.stdout()}\n${proc.stderr()}`);
    });
  } finally {
    await stopService(proc);
    await cwd.remove();
  }
}

/** One round of every case; fresh folders and databases each round. */
async function measureRound(postgres: BenchPostgres): Promise<Record<Case, number>> {
  const bare = await measureBare();
  const data = await makeTempDir('seleto-bench-data-');
  const dataDir = path.join(data.dir, 'data');
  const embeddedFresh = await measureService({ DATA_DIR: dataDir });
  const embeddedWarm = await measureService({ DATA_DIR: dataDir });
  await data.remove();
  const database = await postgres.createDatabase('bench_cold');
  const databaseFresh = await measureService({ DATABASE_URL: database.url });
  const databaseMigrated = await measureService({ DATABASE_URL: database.url });
  await database.drop();
  return {
    bare,
    'embedded-fresh': embeddedFresh,
    'embedded-warm': embeddedWarm,
    'database-fresh': databaseFresh,
    'database-migrated': databaseMigrated,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const FIGURES: Array<{ key: Exclude<Case, 'bare'>; figure: string }> = [
  { key: 'embedded-fresh', figure: 'cold start to ready, embedded, fresh DATA_DIR' },
  { key: 'embedded-warm', figure: 'cold start to ready, embedded, warm DATA_DIR' },
  { key: 'database-fresh', figure: 'cold start to ready, DATABASE_URL, empty database' },
  { key: 'database-migrated', figure: 'cold start to ready, DATABASE_URL, migrated' },
];

async function main() {
  const postgres = await startBenchPostgres();
  try {
    console.log(`cold start: ${RUNS} round(s), spawn to first /readyz 200, polled every ${POLL_MS} ms`);
    // tsx caches what it transpiles: the first start would also time the compiler, which a
    // built image (node dist/main.js) never runs. One unmeasured start fills the cache.
    const warmUp = await postgres.createDatabase('bench_cold');
    await measureService({ DATABASE_URL: warmUp.url });
    await warmUp.drop();
    const rounds: Array<Record<Case, number>> = [];
    for (let i = 0; i < RUNS; i++) {
      const round = await measureRound(postgres);
      console.log(
        `round ${i + 1}: ${Object.entries(round)
          .map(([key, ms]) => `${key} ${ms.toFixed(0)} ms`)
          .join(', ')}`,
      );
      rounds.push(round);
    }
    const of = (key: Case) => median(rounds.map((round) => round[key]));
    const bare = of('bare');
    const results: BenchResult[] = FIGURES.map(({ key, figure }) =>
      result({
        bench: BENCH,
        figure,
        value: of(key),
        unit: 'ms',
        baseline: bare,
        baselineIs: 'bare Fastify under the same tsx loader, spawn to /readyz 200',
        check: { on: 'value', op: '<=', limit: TARGET_READY_MS },
      }),
    );
    console.log(`\nmedian of ${RUNS} round(s)\n${formatTable(results)}`);
    emitResults(results);
  } finally {
    await postgres.stop();
  }
}

await main();
