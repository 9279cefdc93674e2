import { createOutboxRepo, type OutboxItem, type OutboxStatus } from '../db/outbox.repo.js';
import type { Queryable } from '../db/pool.js';

/** What the operator reads about replies: e.g. the uncertain ones, to check by hand. */
export function createOutboxQueries(db: Queryable) {
  function list(filter: {
    status?: OutboxStatus;
    conversationId?: string;
    limit: number;
  }): Promise<OutboxItem[]> {
    return createOutboxRepo(db).list(filter);
  }
  return { list };
}

export type OutboxQueries = ReturnType<typeof createOutboxQueries>;
