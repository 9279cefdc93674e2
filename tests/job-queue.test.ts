import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeadLetterRepo } from '../src/db/dead-letter.repo.js';
import { createJobQueue, type JobContext, type JobQueue, type QueueDefinition } from '../src/db/job-queue.js';
import { createPool, type Pool, withTransaction } from '../src/db/pool.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createDeadLetterService } from '../src/services/dead-letter.service.js';
import { createTestDatabase } from './helpers/database.js';
import { captureLogs } from './helpers/logs.js';
import { required } from './helpers/required.js';
import { trackUnhandledRejections } from './helpers/unhandled-rejections.js';
import { waitFor } from './helpers/wait.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startQueue(
  definitions: QueueDefinition<never>[],
  { poolSize = 5 } = {},
): Promise<{ queue: JobQueue; pool: Pool; logs: ReturnType<typeof captureLogs> }> {
  const db = await createTestDatabase();
  const logs = captureLogs();
  const { log } = logs;
  const pool = createPool({ connectionString: db.url, max: poolSize, log });
  const queue = createJobQueue({ pool, log, metrics: createMetrics() });
  for (const definition of definitions) queue.register(definition);
  await queue.start();
  cleanups.push(
    db.drop,
    async () => {
      if (!pool.ending) await pool.end();
    },
    () => queue.stop({ timeoutMs: 2000 }),
  );
  return { queue, pool, logs };
}

async function jobState(pool: Pool, id: string): Promise<string | undefined> {
  const result = await pool.query<{ state: string }>(
    `select state from pgboss.job where id = $1 union all select state from pgboss.archive where id = $1`,
    [id],
  );
  return result.rows[0]?.state;
}

const FAST = { retryDelaySeconds: 0, retryBackoff: false, pollingIntervalSeconds: 0.5 };

describe('job queue', () => {
  it('runs a job with its payload and correlation id', async () => {
    const seen: { payload: unknown; context: JobContext }[] = [];
    const { queue } = await startQueue([
      { name: 'echo', ...FAST, handler: async (payload, context) => void seen.push({ payload, context }) },
    ]);

    await queue.send('echo', { leadId: 7 }, { correlationId: 'corr-7' });

    await waitFor(() => seen.length === 1, { what: 'the job to run' });
    expect(seen[0]?.payload).toEqual({ leadId: 7 });
    expect(seen[0]?.context).toMatchObject({ queue: 'echo', correlationId: 'corr-7', attempt: 1 });
  });

  it('works through waiting jobs back to back instead of one per polling interval', async () => {
    const done: number[] = [];
    // One worker polling every 5 s: one job per poll would take a minute for these twelve.
    const { queue } = await startQueue([
      {
        name: 'backlog',
        ...FAST,
        pollingIntervalSeconds: 5,
        handler: async (payload: { n: number }) => void done.push(payload.n),
      } as QueueDefinition<never>,
    ]);
    for (let n = 0; n < 12; n++) await queue.send('backlog', { n });
    await waitFor(() => done.length === 12, { what: 'the backlog drained from one poll', timeoutMs: 20_000 });
    expect(done.sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
  });

  it('retries a failing job, then records it as a dead letter with its error', async () => {
    const attempts: number[] = [];
    const { queue, pool } = await startQueue([
      {
        name: 'always-fails',
        ...FAST,
        retryLimit: 2,
        handler: async (_payload, { attempt }) => {
          attempts.push(attempt);
          throw new Error(`PipeRun answered 503 on attempt ${attempt}`);
        },
      },
    ]);

    await queue.send('always-fails', { leadId: 9 }, { correlationId: 'corr-9' });

    const [letter] = await waitFor(
      async () => {
        const letters = await createDeadLetterRepo(pool).list();
        return letters.length > 0 ? letters : undefined;
      },
      { what: 'the dead letter', timeoutMs: 20_000 },
    );
    expect(attempts).toEqual([1, 2, 3]);
    expect(letter).toMatchObject({
      queue: 'always-fails',
      payload: { leadId: 9 },
      correlationId: 'corr-9',
      error: 'PipeRun answered 503 on attempt 3',
      requeuedAt: null,
    });
  });

  it('requeues a dead letter once; the job runs again', async () => {
    let shouldFail = true;
    const succeeded: unknown[] = [];
    const { queue, pool } = await startQueue([
      {
        name: 'flaky',
        ...FAST,
        retryLimit: 0,
        handler: async (payload) => {
          if (shouldFail) throw new Error('CRM down');
          succeeded.push(payload);
        },
      },
    ]);
    await queue.send('flaky', { leadId: 3 });
    const [letter] = await waitFor(
      async () => {
        const letters = await createDeadLetterRepo(pool).list();
        return letters.length > 0 ? letters : undefined;
      },
      { what: 'the dead letter' },
    );
    shouldFail = false;
    const service = createDeadLetterService({ pool, queue });

    const results = await Promise.allSettled([
      service.requeue(required(letter, 'a dead letter').id, 'req-1'),
      service.requeue(required(letter, 'a dead letter').id, 'req-2'),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.status).toBe(409);
    await waitFor(() => succeeded.length === 1, { what: 'the requeued job' });
    expect(succeeded).toEqual([{ leadId: 3 }]);
    expect(await createDeadLetterRepo(pool).list()).toEqual([]);
  });

  it('enqueues inside a transaction: a rolled-back transaction leaves no job', async () => {
    const ran: unknown[] = [];
    const { queue, pool } = await startQueue([
      { name: 'tx', ...FAST, handler: async (p) => void ran.push(p) },
    ]);

    await expect(
      withTransaction(pool, async (tx) => {
        await queue.send('tx', { n: 1 }, { tx });
        throw new Error('insert failed');
      }),
    ).rejects.toThrow('insert failed');
    const committedId = await withTransaction(pool, (tx) => queue.send('tx', { n: 2 }, { tx }));

    await waitFor(async () => (await jobState(pool, required(committedId, 'a job id'))) === 'completed', {
      what: 'the committed job',
    });
    expect(ran).toEqual([{ n: 2 }]);
  });

  it('finishes a running job before stop() returns', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = false;
    let finished = false;
    const { queue, pool } = await startQueue([
      {
        name: 'slow',
        ...FAST,
        handler: async () => {
          started = true;
          await gate;
          finished = true;
        },
      },
    ]);
    const id = await queue.send('slow', {});
    await waitFor(() => started, { what: 'the job to start' });

    const stopping = queue.stop({ timeoutMs: 10_000 });
    setTimeout(release, 200);
    await stopping;

    expect(finished).toBe(true);
    expect(await jobState(pool, required(id, 'a job id'))).toBe('completed');
  });

  it('finishes a job that a fetch already in flight hands over after stop() began', async () => {
    let finished = false;
    const { queue, pool } = await startQueue(
      [
        {
          name: 'late',
          ...FAST,
          handler: async () => {
            await sleep(100);
            finished = true;
          },
        },
      ],
      { poolSize: 1 },
    );
    // Holding the only connection parks the worker's next fetch until stop() has begun.
    const held = await pool.connect();
    const id = required(await queue.send('late', {}, { tx: held }), 'a job id');
    await sleep(800);
    const stopping = queue.stop({ timeoutMs: 5000 });
    await sleep(100);
    held.release();
    await stopping;

    expect(finished).toBe(true);
    expect(await jobState(pool, id)).toBe('completed');
    await expect(queue.send('late', {})).rejects.toThrow(/job queue is stopped: cannot enqueue late/);
  });

  it('never touches the closed pool for a job that outlived the stop timeout', async () => {
    const rejections = trackUnhandledRejections();
    rejections.start();
    try {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started = false;
      const { queue, pool, logs } = await startQueue([
        {
          name: 'stuck',
          ...FAST,
          handler: async () => {
            started = true;
            await gate;
            await pool.query('select 1');
          },
        },
      ]);
      const id = required(await queue.send('stuck', {}), 'a job id');
      await waitFor(() => started, { what: 'the job to start' });

      await queue.stop({ timeoutMs: 1000 });
      // Shut down while active: the job goes back for a retry, by this or another instance.
      expect(await jobState(pool, id)).toBe('retry');
      await pool.end();
      release();

      await waitFor(() => logs.lines.some((line) => line.msg?.startsWith('job queue already stopped')), {
        what: 'the late outcome to be logged',
      });
      await sleep(50);
      expect(rejections.seen).toEqual([]);
    } finally {
      rejections.stop();
    }
  });
});
