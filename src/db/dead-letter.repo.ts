import type { Queryable } from './pool.js';

export type DeadLetter = {
  id: number;
  sourceJobId: string;
  queue: string;
  payload: unknown;
  error: string;
  correlationId: string | null;
  failedAt: Date;
  requeuedAt: Date | null;
  requeuedJobId: string | null;
};

type DeadLetterRow = {
  id: number;
  source_job_id: string;
  queue: string;
  payload: unknown;
  error: string;
  correlation_id: string | null;
  failed_at: Date;
  requeued_at: Date | null;
  requeued_job_id: string | null;
};

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    sourceJobId: row.source_job_id,
    queue: row.queue,
    payload: row.payload,
    error: row.error,
    correlationId: row.correlation_id,
    failedAt: row.failed_at,
    requeuedAt: row.requeued_at,
    requeuedJobId: row.requeued_job_id,
  };
}

export type NewDeadLetter = Pick<DeadLetter, 'sourceJobId' | 'queue' | 'payload' | 'error' | 'correlationId'>;

export function createDeadLetterRepo(db: Queryable) {
  /** Idempotent on the dead-letter job id: recording the same failure twice keeps one row. */
  async function record(letter: NewDeadLetter): Promise<void> {
    await db.query(
      `insert into dead_letters (source_job_id, queue, payload, error, correlation_id)
       values ($1, $2, $3, $4, $5)
       on conflict (source_job_id) do nothing`,
      [
        letter.sourceJobId,
        letter.queue,
        JSON.stringify(letter.payload ?? null),
        letter.error,
        letter.correlationId,
      ],
    );
  }

  async function list({ includeRequeued = false, limit = 50 } = {}): Promise<DeadLetter[]> {
    const result = await db.query<DeadLetterRow>(
      `select * from dead_letters
       where $1 or requeued_at is null
       order by failed_at desc, id desc
       limit $2`,
      [includeRequeued, limit],
    );
    return result.rows.map(toDeadLetter);
  }

  async function find(id: number): Promise<DeadLetter | undefined> {
    const result = await db.query<DeadLetterRow>('select * from dead_letters where id = $1', [id]);
    return result.rows[0] ? toDeadLetter(result.rows[0]) : undefined;
  }

  /** Claims a letter for requeueing; undefined when it does not exist or was requeued already. */
  async function claimForRequeue(id: number): Promise<DeadLetter | undefined> {
    const result = await db.query<DeadLetterRow>(
      `update dead_letters set requeued_at = now()
       where id = $1 and requeued_at is null
       returning *`,
      [id],
    );
    return result.rows[0] ? toDeadLetter(result.rows[0]) : undefined;
  }

  /** Undoes a claim in the same transaction: the letter could not be requeued after all. */
  async function releaseClaim(id: number): Promise<void> {
    await db.query('update dead_letters set requeued_at = null where id = $1 and requeued_job_id is null', [
      id,
    ]);
  }

  /** Open letters of one queue, oldest first: the order they failed in is the order to retry. */
  async function openIds(queue: string, limit: number): Promise<number[]> {
    const result = await db.query<{ id: number }>(
      `select id from dead_letters where queue = $1 and requeued_at is null
       order by failed_at, id limit $2`,
      [queue, limit],
    );
    return result.rows.map((row) => row.id);
  }

  async function countOpen(queue: string): Promise<number> {
    const result = await db.query<{ count: number }>(
      'select count(*)::int as count from dead_letters where queue = $1 and requeued_at is null',
      [queue],
    );
    return result.rows[0]?.count ?? 0;
  }

  async function setRequeuedJob(id: number, jobId: string): Promise<void> {
    await db.query('update dead_letters set requeued_job_id = $2 where id = $1', [id, jobId]);
  }

  return { record, list, find, claimForRequeue, releaseClaim, openIds, countOpen, setRequeuedJob };
}

export type DeadLetterRepo = ReturnType<typeof createDeadLetterRepo>;
