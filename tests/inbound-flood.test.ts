import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInboundProcessor } from '../src/services/inbound-processor.service.js';
import { captureLogs } from './helpers/logs.js';
import { startTestService, TEST_ADMIN_TOKEN, type TestService } from './helpers/service.js';
import { waitFor } from './helpers/wait.js';

/**
 * During a webhook flood the event processor gives way to the webhook (ingest-pressure.ts), but
 * it never stops: a flood that never ends still sees every accepted event applied, in order.
 */
const LEADS = 12;

let t: TestService;

beforeAll(async () => {
  // The burst window outlasts the test: turns are not what is measured here.
  t = await startTestService({ MESSAGE_BUFFER_MS: '600000' });
  await t.service.inbound.stop();
});
afterAll(async () => {
  await t?.stop();
});

async function post(from: string, text: string): Promise<void> {
  const response = await t.service.app.inject({
    method: 'POST',
    url: '/webhooks/whatsapp/console',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    payload: JSON.stringify({ from, text }),
  });
  expect(response.statusCode).toBe(200);
}

it('applies every event, in order, while flooded without end', async () => {
  for (let i = 0; i < LEADS; i++) {
    await post(`55119876${String(i).padStart(5, '0')}`, `primeira mensagem ${i}`);
    await post(`55119876${String(i).padStart(5, '0')}`, `segunda mensagem ${i}`);
  }
  const processor = createInboundProcessor({
    pool: t.service.pool,
    queue: t.service.queue,
    metrics: t.service.metrics,
    log: captureLogs().log,
    bufferMs: 600_000,
    pressure: { isFlooded: () => true },
    batchSize: 5,
    idlePollMs: 10,
  });
  processor.start();
  try {
    await waitFor(
      async () => {
        const { rows } = await t.service.pool.query<{ pending: number }>(
          'select count(*)::int as pending from inbound_events where processed_at is null',
        );
        return rows[0]?.pending === 0;
      },
      { timeoutMs: 20_000, what: 'every event applied during the flood' },
    );
  } finally {
    await processor.stop();
  }
  const { rows } = await t.service.pool.query<{ chat_id: string; texts: string[] }>(
    `select c.chat_id, array_agg(m.text order by m.id) as texts
     from messages m join conversations c on c.id = m.conversation_id group by c.chat_id`,
  );
  expect(rows).toHaveLength(LEADS);
  for (const row of rows) {
    expect(row.texts).toEqual([expect.stringMatching(/^primeira/), expect.stringMatching(/^segunda/)]);
  }
});
