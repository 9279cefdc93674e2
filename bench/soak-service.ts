import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';
import { startService } from '../src/service.js';

/**
 * The soak's service: `startService` in a child process of its own, so the memory and event
 * loop it reports are the service's alone, not the load generator's or the fakes'. The soak
 * asks for a sample over IPC at the end of each window.
 */
const LAG_RESOLUTION_MS = 10;

export type Sample = {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  lagP50: number;
  lagP99: number;
  lagMax: number;
};

async function runServiceRole(): Promise<void> {
  const config = loadConfig(JSON.parse(process.env.SOAK_SERVICE_ENV ?? '{}') as Record<string, string>);
  const service = await startService(config, createLogger({ level: config.logLevel }));
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  lag.enable();
  // The histogram counts the timer's own interval: what is reported is the delay beyond it.
  const beyond = (ns: number) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
  let isStopping = false;
  const stop = () => {
    if (isStopping) return;
    isStopping = true;
    void service.stop().finally(() => process.exit(0));
  };
  process.on('message', (message) => {
    if (message !== 'sample') {
      stop();
      return;
    }
    const lagP50 = beyond(lag.percentile(50));
    const lagP99 = beyond(lag.percentile(99));
    const lagMax = beyond(lag.max);
    // Live memory, not garbage waiting for the next major GC; its pause is not counted as lag.
    global.gc?.();
    const memory = process.memoryUsage();
    const sample: Sample = {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      lagP50,
      lagP99,
      lagMax,
    };
    lag.reset();
    process.send?.({ sample });
  });
  process.once('disconnect', stop); // the soak process died: do not linger
  process.send?.({ port: (service.app.server.address() as AddressInfo).port });
}

/** Starts the service with exactly `env` (nothing inherited) and waits until it listens. */
export async function startServiceChild(env: Record<string, string>) {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      SOAK_SERVICE_ENV: JSON.stringify(env),
    },
    execArgv: [...process.execArgv, '--expose-gc'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const errorLines: string[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (/"level":"(error|fatal)"/.test(line)) errorLines.push(line);
  });
  const exited = once(child, 'exit');
  const ready = await Promise.race([once(child, 'message'), exited.then(() => undefined)]);
  if (!ready) throw new Error('the service exited before listening');
  const sample = async (): Promise<Sample> => {
    child.send('sample');
    const [message] = (await once(child, 'message')) as [{ sample: Sample }];
    return message.sample;
  };
  const stop = async () => {
    if (child.connected) child.send('stop');
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  };
  return { port: (ready[0] as { port: number }).port, pid: child.pid, sample, stop, errorLines };
}

// Set only in the child `startServiceChild` forks: importing this file starts nothing.
if (process.env.SOAK_SERVICE_ENV) await runServiceRole();
