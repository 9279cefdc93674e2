import type { Queryable } from '../../src/db/pool.js';
import { waitFor } from './wait.js';

/**
 * Nothing left for the pipeline to do: every webhook event applied, every lead message
 * answered (or silenced), no turn generating or waiting to send, no turn job queued, running or
 * due for retry. Asserting "exactly once" after this proves no late duplicate is on its way.
 */
export async function isSettled(db: Queryable): Promise<boolean> {
  const result = await db.query<{ open: number }>(
    `select (select count(*) from inbound_events where processed_at is null)
          + (select count(*) from messages where author = 'lead' and turn_id is null)
          + (select count(*) from turns where status in ('generating', 'ready'))
          + (select count(*) from outbox where status in ('pending', 'sending'))
          + (select count(*) from pgboss.job where name = 'conversation-turn' and state in ('created', 'retry', 'active'))
       as open`,
  );
  return Number(result.rows[0]?.open) === 0;
}

export function waitUntilSettled(db: Queryable, timeoutMs = 30_000): Promise<boolean> {
  return waitFor(() => isSettled(db), { what: 'the pipeline to settle', timeoutMs, intervalMs: 100 });
}

/** What a timed-out pipeline test prints: where each message, turn, part and job stands. */
export async function pipelineState(db: Queryable) {
  const rows = async (sql: string) => (await db.query(sql)).rows;
  return {
    events: await rows(
      `select id, event_type, processed_at is not null as processed, detail from inbound_events order by id`,
    ),
    messages: await rows(`select id, author, text, turn_id from messages order by id`),
    turns: await rows(`select id, status, created_at from turns order by created_at`),
    outbox: await rows(`select id, status, attempts, last_error, echoed_at from outbox order by created_at`),
    conversations: await rows(`select id, paused_at, buffer_deadline, turn_lease_owner from conversations`),
    jobs: await rows(
      `select state, retry_count, start_after, output from pgboss.job where name = 'conversation-turn' order by created_on`,
    ),
  };
}
