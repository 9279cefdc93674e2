import { createDeadLetterRepo, type DeadLetter } from '../db/dead-letter.repo.js';
import type { JobQueue } from '../db/job-queue.js';
import { type Pool, withTransaction } from '../db/pool.js';
import { errors } from '../errors.js';

type Deps = { pool: Pool; queue: Pick<JobQueue, 'send' | 'hasQueue'> };

export function createDeadLetterService({ pool, queue }: Deps) {
  function list(options: { includeRequeued?: boolean; limit?: number }): Promise<DeadLetter[]> {
    return createDeadLetterRepo(pool).list(options);
  }

  /**
   * Puts a dead letter's job back on its queue. Claim and enqueue share one transaction, so
   * two operators clicking at once requeue it once, and a failed enqueue leaves it unclaimed.
   */
  async function requeue(id: number): Promise<{ id: number; jobId: string }> {
    return withTransaction(pool, async (tx) => {
      const repo = createDeadLetterRepo(tx);
      const letter = await repo.claimForRequeue(id);
      if (!letter) {
        const existing = await repo.find(id);
        throw existing
          ? errors.conflict(`dead letter ${id} was already requeued`)
          : errors.notFound(`dead letter ${id}`);
      }
      if (!queue.hasQueue(letter.queue)) {
        throw errors.conflict(
          `dead letter ${id} belongs to queue "${letter.queue}", which this version does not run`,
        );
      }
      const jobId = await queue.send(letter.queue, letter.payload, {
        correlationId: letter.correlationId ?? undefined,
        tx,
      });
      if (!jobId)
        throw errors.conflict(`queue "${letter.queue}" refused the job: an identical one is already waiting`);
      await repo.setRequeuedJob(id, jobId);
      return { id, jobId };
    });
  }

  return { list, requeue };
}

export type DeadLetterService = ReturnType<typeof createDeadLetterService>;
