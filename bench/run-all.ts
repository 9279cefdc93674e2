import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, formatTable, isQuick, readResults } from './report.js';

/**
 * `npm run bench`: every bench script, one after another (never together: two shared cores,
 * and each would measure the others), then one table of their figures. Each script prints its
 * own output as it goes and appends its figures to a BENCH_JSON file this run reads back.
 * Exits 1 when a target fails or a script broke, after printing everything. BENCH_QUICK=1
 * shortens every script for a smoke run. The 10-minute soak (bench/soak.ts) is not part of it.
 */
type Script = { name: string; file: string; quickEnv: Record<string, string> };

const SCRIPTS: Script[] = [
  // ingest.ts predates BENCH_QUICK; these are its documented short-run settings.
  { name: 'ingest', file: 'ingest.ts', quickEnv: { BENCH_DURATION_S: '3', BENCH_DRAIN_S: '10' } },
  // The turn-100 figure needs the whole conversation, so context runs in full even when quick.
  { name: 'context', file: 'context.ts', quickEnv: {} },
  { name: 'pipeline', file: 'pipeline.ts', quickEnv: {} },
  { name: 'memory', file: 'idle-memory.ts', quickEnv: {} },
  { name: 'cold-start', file: 'cold-start.ts', quickEnv: {} },
];

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');

type Outcome = { name: string; code: number | null; seconds: number; figures: number };

async function runScript(script: Script, jsonFile: string): Promise<Outcome> {
  const before = readResults(jsonFile).length;
  // Variables the caller set win over the quick defaults.
  const env = { ...(isQuick() ? script.quickEnv : {}), ...process.env, BENCH_JSON: jsonFile };
  const startedAt = Date.now();
  console.log(`\n=== ${script.name} (bench/${script.file}) ===`);
  const child = spawn(process.execPath, ['--import', TSX_LOADER, path.join(BENCH_DIR, script.file)], {
    env,
    stdio: 'inherit',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const figures = readResults(jsonFile).length - before;
  return { name: script.name, code, seconds: (Date.now() - startedAt) / 1000, figures };
}

function machineNote(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = `${(totalmem() / 1024 ** 3).toFixed(1)} GB`;
  return `${availableParallelism()} cores (${cpu}), ${memory}, Node ${process.versions.node}`;
}

async function main() {
  const only = process.argv.slice(2);
  const scripts = only.length > 0 ? SCRIPTS.filter((s) => only.includes(s.name)) : SCRIPTS;
  const jsonFile = process.env.BENCH_JSON ?? path.join(tmpdir(), `seleto-bench-${process.pid}.jsonl`);
  const isOwnFile = !process.env.BENCH_JSON;
  if (isOwnFile) await rm(jsonFile, { force: true });
  const startedAt = new Date();
  const outcomes: Outcome[] = [];
  for (const script of scripts) outcomes.push(await runScript(script, jsonFile));
  const results: BenchResult[] = readResults(jsonFile);
  if (isOwnFile) await rm(jsonFile, { force: true });

  const broken = outcomes.filter((o) => o.code !== 0 || o.figures === 0);
  const failed = results.filter((r) => r.pass === false);
  console.log(
    [
      '',
      `=== benchmark report${isQuick() ? ' (BENCH_QUICK=1: smoke run, not figures to quote)' : ''} ===`,
      `${startedAt.toISOString()}, ${machineNote()}`,
      `scripts: ${outcomes.map((o) => `${o.name} ${o.seconds.toFixed(0)} s`).join(', ')}`,
      '',
      formatTable(results),
      '',
      ...broken.map((o) => `BROKEN ${o.name}: exit code ${o.code}, ${o.figures} figures reported`),
      failed.length === 0 && broken.length === 0
        ? 'every target met'
        : `${failed.length} target(s) failed, ${broken.length} script(s) broke`,
    ].join('\n'),
  );
  process.exit(failed.length > 0 || broken.length > 0 ? 1 : 0);
}

await main();
