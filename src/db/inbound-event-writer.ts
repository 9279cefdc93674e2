import { createInboundEventRepo, type Delivery, type NewInboundEvent } from './inbound-event.repo.js';
import type { Queryable } from './pool.js';

/**
 * Group insert for the webhook's one statement. A delivery that arrives while `maxInFlight`
 * inserts are already under way waits for one of them; when it ends, every delivery waiting
 * goes out together in one multi-row insert. Under load one round trip, and one write system
 * call (most of a webhook's cost on a small machine), carries many deliveries; a delivery that
 * finds a free slot goes out at once, alone, as before: nothing waits for a batch to fill.
 * Each caller is answered only once its own rows are committed.
 */
export type InboundEventWriter = {
  /** Records one delivery's events; returns how many rows were new (the rest were redeliveries). */
  write(events: NewInboundEvent[], rawJson: string, correlationId: string): Promise<number>;
};

type Waiting = Delivery & { resolve: (inserted: number) => void; reject: (error: unknown) => void };

export type WriterSettings = { maxInFlight?: number; maxBatch?: number };

export function createInboundEventWriter(
  db: Queryable,
  { maxInFlight = 2, maxBatch = 100 }: WriterSettings = {},
): InboundEventWriter {
  const repo = createInboundEventRepo(db);
  const waiting: Waiting[] = [];
  let inFlight = 0;

  function insertAlone(delivery: Waiting): Promise<void> {
    return repo
      .insertMany(delivery.events, delivery.rawJson, delivery.correlationId)
      .then(delivery.resolve, delivery.reject);
  }

  async function insert(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return insertAlone(batch[0] as Waiting);
    let inserted: Map<string, number>;
    try {
      inserted = await repo.insertBatch(batch);
    } catch {
      // One body Postgres refuses (a NUL escape, say) must not fail the others: each is tried
      // alone, and gets its own answer: a 400 for that one, a 200 for the rest.
      await Promise.all(batch.map(insertAlone));
      return;
    }
    for (const delivery of batch) delivery.resolve(inserted.get(delivery.correlationId) ?? 0);
  }

  /** Up to maxBatch waiting deliveries, one per correlation id: the insert's answer is counted by it. */
  function takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    const ids = new Set<string>();
    for (let index = 0; index < waiting.length && batch.length < maxBatch; ) {
      const delivery = waiting[index] as Waiting;
      if (ids.has(delivery.correlationId)) {
        index += 1;
        continue;
      }
      ids.add(delivery.correlationId);
      batch.push(delivery);
      waiting.splice(index, 1);
    }
    return batch;
  }

  function pump(): void {
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = takeBatch();
      inFlight += 1;
      void insert(batch).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  }

  function write(events: NewInboundEvent[], rawJson: string, correlationId: string): Promise<number> {
    if (events.length === 0) return Promise.resolve(0);
    return new Promise<number>((resolve, reject) => {
      waiting.push({ events, rawJson, correlationId, resolve, reject });
      pump();
    });
  }

  return { write };
}
