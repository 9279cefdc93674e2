import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewInboundEvent } from '../src/db/inbound-event.repo.js';
import { createInboundEventWriter } from '../src/db/inbound-event-writer.js';
import { createPool, type Pool, type Queryable } from '../src/db/pool.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { captureLogs } from './helpers/logs.js';

let db: TestDatabase;
let pool: Pool;
let statements = 0;
// The real pool, counting the statements the writer sends through it.
const counted: Queryable = {
  query: ((...args: Parameters<Pool['query']>) => {
    statements += 1;
    return pool.query(...args);
  }) as Pool['query'],
};

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 5, log: captureLogs().log });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

function event(messageId: string): NewInboundEvent {
  return {
    provider: 'zapi',
    instanceId: 'writer-test',
    messageId,
    eventType: 'message',
    payload: { messageId, text: 'Olá' },
  };
}

const body = (messageId: string) => `{ "messageId" : "${messageId}",  "text": "Ol\\u00e1" }`;

async function rows(correlationPrefix: string) {
  const result = await pool.query<{ message_id: string; correlation_id: string; raw: string }>(
    `select message_id, correlation_id, raw::text as raw from inbound_events
     where correlation_id like $1 order by id`,
    [`${correlationPrefix}%`],
  );
  return result.rows;
}

describe('inbound event writer', () => {
  it('writes deliveries that arrive together in a few statements, each answered with its own count', async () => {
    const writer = createInboundEventWriter(counted, { maxInFlight: 1 });
    const fresh = Array.from({ length: 60 }, (_, i) => `batch-${i}`);
    statements = 0;
    const first = await Promise.all(
      fresh.map((id, i) => writer.write([event(id)], body(id), `batch-req-${i}`)),
    );
    // Redeliveries of ten of them, and deliveries mixing a new event with a redelivered one.
    const again = await Promise.all([
      ...fresh.slice(0, 10).map((id, i) => writer.write([event(id)], body(id), `batch-again-${i}`)),
      ...[0, 1, 2].map((i) =>
        writer.write(
          [event(`batch-${i}`), event(`batch-extra-${i}`)],
          body(`extra-${i}`),
          `batch-mixed-${i}`,
        ),
      ),
    ]);

    expect(first).toEqual(fresh.map(() => 1));
    expect(again).toEqual([...Array(10).fill(0), 1, 1, 1]);
    // One statement for the first delivery, one for the rest that waited behind it, per wave.
    expect(statements).toBeLessThanOrEqual(6);
    const stored = await rows('batch-');
    expect(stored).toHaveLength(63);
    const byId = new Map(stored.map((row) => [row.message_id, row]));
    expect(byId.get('batch-7')).toEqual({
      message_id: 'batch-7',
      correlation_id: 'batch-req-7',
      // The audit copy is the body as received, whitespace and escapes included.
      raw: body('batch-7'),
    });
    expect(byId.get('batch-extra-2')?.correlation_id).toBe('batch-mixed-2');
  });

  it('counts a message delivered twice in one batch once', async () => {
    const writer = createInboundEventWriter(counted, { maxInFlight: 1 });
    const answers = await Promise.all([
      writer.write([event('twice-0')], body('twice-0'), 'twice-req-0'),
      writer.write([event('twice-1')], body('twice-1'), 'twice-req-1'),
      writer.write([event('twice-1')], body('twice-1'), 'twice-req-2'),
    ]);
    expect(answers[0]).toBe(1);
    expect(answers[1] + answers[2]).toBe(1);
    expect((await rows('twice-')).map((row) => row.message_id)).toEqual(['twice-0', 'twice-1']);
  });

  it('refuses only the delivery Postgres cannot store, with a 400; the rest of its batch is recorded', async () => {
    const writer = createInboundEventWriter(counted, { maxInFlight: 1 });
    const deep = `{"text":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const results = await Promise.allSettled([
      writer.write([event('refuse-0')], body('refuse-0'), 'refuse-req-0'),
      writer.write([event('refuse-1')], body('refuse-1'), 'refuse-req-1'),
      writer.write([event('refuse-2')], deep, 'refuse-req-2'),
      writer.write([event('refuse-3')], body('refuse-3'), 'refuse-req-3'),
    ]);

    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const refused = results[2] as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ status: 400 });
    expect(String(refused.reason.message)).toMatch(/nested too deeply/);
    // The retries alone run side by side: which of their rows gets the lower id is theirs to decide.
    const recorded = (await rows('refuse-')).map((row) => row.message_id).sort();
    expect(recorded).toEqual(['refuse-0', 'refuse-1', 'refuse-3']);
  });

  it('sends a delivery that finds a free slot at once, alone', async () => {
    const writer = createInboundEventWriter(counted);
    statements = 0;
    expect(await writer.write([event('alone-0')], body('alone-0'), 'alone-req-0')).toBe(1);
    expect(await writer.write([event('alone-0')], body('alone-0'), 'alone-req-1')).toBe(0);
    expect(await writer.write([], '{}', 'alone-req-2')).toBe(0);
    expect(statements).toBe(2);
  });
});
