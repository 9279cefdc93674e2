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
