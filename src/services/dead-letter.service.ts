import { createDeadLetterRepo, type DeadLetter } from '../db/dead-letter.repo.js';
import type { JobQueue } from '../db/job-queue.js';
import { type Pool, type PoolClient, withTransaction } from '../db/pool.js';
import { errors } from '../errors.js';
import { recordAdminAction } from './admin-audit.service.js';

type Deps = { pool: Pool; queue: Pick<JobQueue, 'send' | 'hasQueue'> };

type Outcome =
  | { kind: 'requeued'; jobId: string }
  | { kind: 'missing' }
  | { kind: 'already_requeued' }
  | { kind: 'queue_not_run'; queue: string }
  | { kind: 'duplicate_waiting'; queue: string };

/**
 * The services key their jobs by the conversation or lead they concern (turns, the Chatwoot
 * mirror, the CRM sync). A requeued job keeps that key, so it waits behind a live job of the
 * same conversation instead of running beside it, and two letters of different leads do not
 * collide on the one keyless slot a `short` queue allows.
 */
function singletonKeyOf(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const { conversationId, leadId } = payload as { conversationId?: unknown; leadId?: unknown };
  if (typeof conversationId === 'string') return conversationId;
  return typeof leadId === 'string' ? leadId : undefined;
}

export const REQUEUE_ALL_MAX = 1000;

export function createDeadLetterService({ pool, queue }: Deps) {
  function list(options: { includeRequeued?: boolean; limit?: number }): Promise<DeadLetter[]> {
    return createDeadLetterRepo(pool).list(options);
  }

  /**
   * Claim and enqueue share the caller's transaction, so two operators clicking at once
   * requeue a letter once; a refused enqueue gives the claim back and the letter stays open.
   */
  async function claimAndSend(tx: PoolClient, id: number): Promise<Outcome> {
    const repo = createDeadLetterRepo(tx);
    const letter = await repo.claimForRequeue(id);
    if (!letter) return (await repo.find(id)) ? { kind: 'already_requeued' } : { kind: 'missing' };
    if (!queue.hasQueue(letter.queue)) {
      await repo.releaseClaim(id);
      return { kind: 'queue_not_run', queue: letter.queue };
    }
    const jobId = await queue.send(letter.queue, letter.payload, {
      correlationId: letter.correlationId ?? undefined,
      singletonKey: singletonKeyOf(letter.payload),
      tx,
    });
    if (!jobId) {
      await repo.releaseClaim(id);
      return { kind: 'duplicate_waiting', queue: letter.queue };
    }
    await repo.setRequeuedJob(id, jobId);
    return { kind: 'requeued', jobId };
  }

  /** Puts a dead letter's job back on its queue. */
  async function requeue(id: number, requestId: string): Promise<{ id: number; jobId: string }> {
    const outcome = await withTransaction(pool, async (tx) => {
      const result = await claimAndSend(tx, id);
      if (result.kind === 'requeued') {
        await recordAdminAction(tx, {
          action: 'requeue_dead_letter',
          target: `dead_letter:${id}`,
          requestId,
          details: { jobId: result.jobId },
        });
      }
      return result;
    });
    switch (outcome.kind) {
      case 'requeued':
        return { id, jobId: outcome.jobId };
      case 'missing':
        throw errors.notFound(`dead letter ${id}`);
      case 'already_requeued':
        throw errors.conflict(`dead letter ${id} was already requeued`);
      case 'queue_not_run':
        throw errors.conflict(
          `dead letter ${id} belongs to queue "${outcome.queue}", which this version does not run`,
        );
      case 'duplicate_waiting':
        throw errors.conflict(
          `queue "${outcome.queue}" refused the job: an identical one is already waiting`,
        );
    }
  }

  /**
   * Requeues the open letters of one queue, oldest first, in one transaction with its audit
   * row. A letter another call requeued meanwhile is skipped, so repeating the call is harmless.
   */
  async function requeueAll(queueName: string, requestId: string, limit = REQUEUE_ALL_MAX) {
    if (!queue.hasQueue(queueName)) {
      throw errors.conflict(`queue "${queueName}" is not run by this version: nothing can be requeued on it`);
    }
    return withTransaction(pool, async (tx) => {
      const repo = createDeadLetterRepo(tx);
      const requeued: { id: number; jobId: string }[] = [];
      const skipped: { id: number; reason: Outcome['kind'] }[] = [];
      for (const id of await repo.openIds(queueName, limit)) {
        const outcome = await claimAndSend(tx, id);
        if (outcome.kind === 'requeued') requeued.push({ id, jobId: outcome.jobId });
        else skipped.push({ id, reason: outcome.kind });
      }
      const remaining = await repo.countOpen(queueName);
      await recordAdminAction(tx, {
        action: 'requeue_dead_letters',
        target: `queue:${queueName}`,
        requestId,
        details: { requeued: requeued.map((letter) => letter.id), skipped, remaining },
      });
      const counts = { requeued: requeued.length, skipped: skipped.length, remaining };
      return { queue: queueName, counts, requeued, skipped };
    });
  }

  return { list, requeue, requeueAll };
}

export type DeadLetterService = ReturnType<typeof createDeadLetterService>;
