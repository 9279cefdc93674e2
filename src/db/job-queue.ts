import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import PgBoss from 'pg-boss';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createDeadLetterRepo } from './dead-letter.repo.js';
import type { SchemaInstaller } from './migrator.js';
import { type Pool, type Queryable, withTransaction } from './pool.js';

/**
 * Durable jobs on Postgres (pg-boss): retries with exponential backoff, and after the last
 * attempt a copy in the `dead-letter` queue, which a worker records in `dead_letters` for the
 * operator. pg-boss runs its SQL through our pool, so the embedded database's single
 * connection is shared and a job can be enqueued inside the caller's transaction.
 */

export const DEAD_LETTER_QUEUE = 'dead-letter';
export const QUEUE_SCHEMA = 'pgboss';

export type JobContext = {
  jobId: string;
  queue: string;
  correlationId: string;
  /** 1 on the first run, 2 on the first retry… */
  attempt: number;
  log: Logger;
};

export type JobHandler<T> = (payload: T, context: JobContext) => Promise<void>;

export type QueueDefinition<T> = {
  name: string;
  handler: JobHandler<T>;
  /** Retries after the first attempt; default 5. */
  retryLimit?: number;
  /** First retry delay; doubles each attempt when retryBackoff; default 5. */
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
  /** A job running longer is considered lost (crashed worker) and retried; default 300. */
  expireInSeconds?: number;
  /** pg-boss queue policy: `stately` allows one queued and one active job per singletonKey. */
  policy?: 'standard' | 'short' | 'singleton' | 'stately';
  /** Parallel workers in this instance; default 1. */
  concurrency?: number;
  pollingIntervalSeconds?: number;
  /** Cron expression (UTC) to enqueue this job on a schedule, once across all instances. */
  cron?: string;
};

export type SendOptions = {
  correlationId?: string;
  singletonKey?: string;
  startAfter?: Date;
  /** Enqueue inside this transaction: the job exists only if the transaction commits. */
  tx?: Queryable;
};

type Envelope = { queue: string; correlationId: string; payload: unknown };

const DEPTH_STATES = ['waiting', 'deferred', 'active'] as const;
export type QueueDepth = { queue: string; state: (typeof DEPTH_STATES)[number]; count: number };

// Serialises queue creation across instances: pg-boss 10's create_queue (a partition per
// queue) deadlocks when two instances create the same queue at once.
const QUEUE_CREATE_LOCK_KEY = 7_162_534_002;

type QueueOptions = {
  policy: string;
  retryLimit: number;
  retryDelay: number;
  retryBackoff: boolean;
  expireInSeconds: number;
  deadLetter?: string;
};

const DEFAULTS = {
  retryLimit: 5,
  retryDelaySeconds: 5,
  retryBackoff: true,
  expireInSeconds: 300,
  concurrency: 1,
};
const DEFAULT_POLLING_INTERVAL_SECONDS = 1;

/**
 * Creates pg-boss's schema when it is missing. pg-boss 10 races when two instances create it
 * at once (duplicate pg_namespace entry), so the migrator runs this under its advisory lock;
 * upgrades of an installed schema are left to pg-boss's own start-up, which handles races.
 */
export const queueSchemaInstaller: SchemaInstaller = {
  name: 'pg-boss',
  async install(db) {
    const installed = await db.query<{ present: boolean }>(
      `select to_regclass('${QUEUE_SCHEMA}.version') is not null as present`,
    );
    if (!installed.rows[0]?.present) await db.query(PgBoss.getConstructionPlans(QUEUE_SCHEMA));
  },
};

function asDb(db: Queryable): PgBoss.Db {
  return { executeSql: (text, values) => db.query(text, values) };
}

function describeFailure(output: unknown): string {
  if (output && typeof output === 'object') {
    const value = output as { message?: unknown; value?: { message?: unknown } };
    if (typeof value.message === 'string') return value.message;
    if (typeof value.value?.message === 'string') return value.value.message;
    return JSON.stringify(output).slice(0, 2000);
  }
  return 'job failed without an error message';
}

type QueueDeps = {
  pool: Pool;
  log: Logger;
  metrics: Metrics;
  /** How often expired jobs (crashed workers) are failed over to a retry; default 30. */
  maintenanceIntervalSeconds?: number;
};

export function createJobQueue({ pool, log, metrics, maintenanceIntervalSeconds = 30 }: QueueDeps) {
  // pg-boss's queries and our handlers still running: stop() waits for them before the caller
  // closes the pool, because pg-boss records a job's outcome without awaiting it.
  const pending = new Set<Promise<unknown>>();
  let closed = false;

  function track<T>(work: Promise<T>): Promise<T> {
    pending.add(work);
    const settle = () => pending.delete(work);
    work.then(settle, settle);
    return work;
  }

  const bossDb: PgBoss.Db = {
    executeSql: (text, values) => {
      if (closed) {
        // A handler that outlived stop()'s timeout: pg-boss already failed its job back to a retry.
        // The pool may be closed and pg-boss would not catch the error, so the outcome stays unrecorded.
        log.warn(
          { statement: text.trim().split(/\s+/, 3).join(' ') },
          'job queue already stopped: a late job outcome is not recorded; the job runs again once it expires',
        );
        return new Promise(() => undefined);
      }
      return track(pool.query(text, values));
    },
  };

  const boss = new PgBoss({
    db: bossDb,
    schema: QUEUE_SCHEMA,
    schedule: true,
    migrate: true,
    maintenanceIntervalSeconds,
  });
  const definitions = new Map<string, QueueDefinition<never>>();
  let running = false;

  boss.on('error', (err) => log.error({ err }, 'job queue error'));

  function register<T>(definition: QueueDefinition<T>): void {
    if (running) throw new Error(`queue ${definition.name} must be registered before the job queue starts`);
    definitions.set(definition.name, definition as QueueDefinition<never>);
  }

  /**
   * pg-boss 10's stately queues allow one job per state and key, so a job failing while another
   * of its key waits in `retry` cannot be put back for its own retry: pg-boss fails it outright
   * (and dead-letters it) with retries left. The waiting job repeats the same work anyway. No race:
   * only one job of a key is active, and the waiting one cannot start while this one runs.
   */
  async function isRetryWaiting(job: PgBoss.JobWithMetadata<Envelope>): Promise<boolean> {
    if (!job.singletonKey) return false;
    const waiting = await pool.query(
      `select 1 from ${QUEUE_SCHEMA}.job where name = $1 and singleton_key = $2 and state = 'retry' and id <> $3 limit 1`,
      [job.name, job.singletonKey, job.id],
    );
    return (waiting.rowCount ?? 0) > 0;
  }

  async function runJob(
    definition: QueueDefinition<never>,
    job: PgBoss.JobWithMetadata<Envelope>,
  ): Promise<void> {
    // Cron-scheduled jobs carry pg-boss's own empty data, not our envelope.
    const correlationId = job.data?.correlationId ?? job.id;
    const payload = job.data?.payload;
    const attempt = job.retryCount + 1;
    const jobLog = log.child({ queue: job.name, jobId: job.id, correlationId, attempt });
    // Both times are the database's clock: no skew with this host's.
    if (job.startedOn && job.startAfter) {
      const waitedMs = job.startedOn.getTime() - job.startAfter.getTime();
      metrics.jobWait.observe({ queue: job.name }, Math.max(0, waitedMs) / 1000);
    }
    const startedAt = process.hrtime.bigint();
    try {
      await definition.handler(payload as never, {
        jobId: job.id,
        queue: job.name,
        correlationId,
        attempt,
        log: jobLog,
      });
      metrics.jobsProcessed.inc({ queue: job.name, outcome: 'completed' });
    } catch (err) {
      metrics.jobsProcessed.inc({ queue: job.name, outcome: 'failed' });
      const willRetry = job.retryCount < job.retryLimit;
      jobLog.warn(
        { err, willRetry },
        willRetry ? 'job failed, will retry' : 'job failed on its last attempt',
      );
      if (willRetry && definition.policy === 'stately' && (await isRetryWaiting(job))) {
        jobLog.info('a job of the same key is waiting to retry and does this work: this one ends here');
        return;
      }
      throw err;
    } finally {
      metrics.jobDuration.observe({ queue: job.name }, Number(process.hrtime.bigint() - startedAt) / 1e9);
    }
  }

  async function recordDeadLetter(job: PgBoss.JobWithMetadata<Envelope>): Promise<void> {
    const { queue, correlationId, payload } = job.data;
    await createDeadLetterRepo(pool).record({
      sourceJobId: job.id,
      queue,
      payload,
      error: describeFailure(job.output),
      correlationId,
    });
    metrics.deadLetters.inc({ queue });
    log.error({ queue, correlationId, deadLetterJobId: job.id }, 'job dead-lettered after its last attempt');
  }

  /** Creates the queue if missing (under a lock, on one connection), else brings its options up to date. */
  async function ensureQueue(name: string, options: QueueOptions): Promise<void> {
    const created = await withTransaction(pool, async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [QUEUE_CREATE_LOCK_KEY]);
      const exists = await tx.query(`select 1 from ${QUEUE_SCHEMA}.queue where name = $1`, [name]);
      if (exists.rowCount) return false;
      await tx.query(`select ${QUEUE_SCHEMA}.create_queue($1, $2)`, [name, JSON.stringify(options)]);
      return true;
    });
    if (!created) await boss.updateQueue(name, { name, ...options } as PgBoss.Queue);
  }

  async function start(): Promise<void> {
    await boss.start();
    await ensureQueue(DEAD_LETTER_QUEUE, {
      policy: 'standard',
      retryLimit: 10,
      retryDelay: 5,
      retryBackoff: true,
      expireInSeconds: 300,
    });
    await boss.work<Envelope>(DEAD_LETTER_QUEUE, { includeMetadata: true }, async ([job]) => {
      if (job) await track(recordDeadLetter(job));
    });
    for (const definition of definitions.values()) {
      const options = { ...DEFAULTS, ...definition };
      await ensureQueue(definition.name, {
        policy: definition.policy ?? 'standard',
        retryLimit: options.retryLimit,
        retryDelay: options.retryDelaySeconds,
        retryBackoff: options.retryBackoff,
        expireInSeconds: options.expireInSeconds,
        deadLetter: DEAD_LETTER_QUEUE,
      });
      const workOptions = {
        includeMetadata: true as const,
        pollingIntervalSeconds: definition.pollingIntervalSeconds ?? DEFAULT_POLLING_INTERVAL_SECONDS,
      };
      if (definition.cron) await boss.schedule(definition.name, definition.cron, {}, { tz: 'UTC' });
      for (let i = 0; i < options.concurrency; i += 1) {
        let workerId: string | undefined;
        workerId = await boss.work<Envelope>(definition.name, workOptions, async ([job]) => {
          if (!job) return;
          await track(runJob(definition, job));
          // pg-boss sleeps out the rest of its polling interval even after a quick job, which
          // capped each worker at a couple of jobs a second; while jobs come, fetch the next at once.
          if (workerId) boss.notifyWorker(workerId);
        });
      }
    }
    running = true;
    log.info({ queues: [...definitions.keys()] }, 'job queue started');
  }

  /**
   * Stops fetching new jobs and waits up to timeoutMs for the running ones to finish and for
   * their outcomes to be recorded; after it returns the queue issues no query.
   */
  async function stop({ timeoutMs }: { timeoutMs: number }): Promise<void> {
    if (!running) return;
    running = false;
    const deadline = Date.now() + timeoutMs;
    await boss.stop({ graceful: true, wait: true, close: false, timeout: timeoutMs });
    // pg-boss stops waiting once no worker holds a job, but a fetch still in flight may yet hand
    // one over, and a finished job's completion may not have been sent yet.
    for (;;) {
      await nextTurn();
      const remainingMs = deadline - Date.now();
      if (pending.size === 0 || remainingMs <= 0) break;
      const timer = new AbortController();
      await Promise.race([
        Promise.allSettled([...pending]),
        sleep(remainingMs, undefined, { signal: timer.signal }).catch(() => undefined),
      ]);
      timer.abort();
    }
    closed = true;
    if (pending.size > 0) log.warn({ pending: pending.size }, 'job queue stopped with work still running');
    else log.info('job queue stopped');
  }

  /** Enqueues a job; returns its id, or null when the queue policy refused a duplicate. */
  async function send(name: string, payload: unknown, options: SendOptions = {}): Promise<string | null> {
    // Inside a caller's transaction the job is that transaction's insert; on its own it would
    // need the queue's connection, which a stopped queue no longer uses.
    if (closed && !options.tx) throw new Error(`job queue is stopped: cannot enqueue ${name}`);
    const envelope: Envelope = { queue: name, correlationId: options.correlationId ?? randomUUID(), payload };
    return boss.send(name, envelope, {
      singletonKey: options.singletonKey,
      startAfter: options.startAfter,
      ...(options.tx ? { db: asDb(options.tx) } : {}),
    });
  }

  /**
   * Jobs per queue and state for the job_queue_depth gauge: one grouped count over the jobs not
   * yet finished (pg-boss archives finished ones), with zeros for this instance's queues.
   */
  async function depth(): Promise<QueueDepth[]> {
    const result = await pool.query<QueueDepth>(
      `select name as queue,
         case when state = 'active' then 'active'
              when start_after > now() then 'deferred'
              else 'waiting' end as state,
         count(*)::int as count
       from ${QUEUE_SCHEMA}.job
       where state < 'completed'
       group by 1, 2`,
    );
    const zeros = [DEAD_LETTER_QUEUE, ...definitions.keys()].flatMap((queue) =>
      DEPTH_STATES.map((state) => ({ queue, state, count: 0 })),
    );
    const counted = new Set(result.rows.map((row) => `${row.queue}\n${row.state}`));
    return [...result.rows, ...zeros.filter((zero) => !counted.has(`${zero.queue}\n${zero.state}`))];
  }

  return {
    register,
    start,
    stop,
    send,
    depth,
    isRunning: () => running,
    hasQueue: (name: string) => definitions.has(name),
  };
}

export type JobQueue = ReturnType<typeof createJobQueue>;
