import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { waitFor } from './wait.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');

export type ServiceProcess = {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  logLines: () => Record<string, unknown>[];
  exited: Promise<number | null>;
};

/**
 * Runs `src/main.ts` as `npm start` does, with only the given environment (nothing inherited
 * but PATH/HOME) and a working directory of the test's choosing, so no developer `.env` leaks in.
 * `nodeArgs` go to node before the service (a benchmark's `--expose-gc`, say).
 */
export async function spawnService(
  env: Record<string, string>,
  cwd: string,
  { nodeArgs = [] }: { nodeArgs?: string[] } = {},
): Promise<ServiceProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [...nodeArgs, '--import', TSX_LOADER, MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    port,
    stdout: () => out,
    stderr: () => err,
    logLines: () =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
  };
}

export async function waitUntilReady(
  proc: ServiceProcess,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  // A process that dies during start-up fails the wait at once, with what it printed.
  const exitedEarly = proc.exited.then((code) => {
    throw new Error(
      `service exited with code ${code} before it was ready:\n${proc.stdout()}\n${proc.stderr()}`,
    );
  });
  exitedEarly.catch(() => undefined);
  const ready = waitFor(
    async () => {
      const response = await fetch(`http://127.0.0.1:${proc.port}/readyz`);
      return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `readiness of the service on port ${proc.port}` },
  );
  return Promise.race([ready, exitedEarly]);
}

export async function stopService(proc: ServiceProcess): Promise<number | null> {
  if (proc.child.exitCode === null) proc.child.kill('SIGTERM');
  return proc.exited;
}
