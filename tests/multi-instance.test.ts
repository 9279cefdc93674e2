import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneFor, zapiText } from './factories.js';
import { createFakeWhatsAppProvider, type FakeWhatsAppProvider } from './fakes/whatsapp-provider.js';
import { createEchoAgent, providerEnv, ZAPI_WEBHOOK_SECRET } from './helpers/pipeline.js';
import { startTestService, type TestService } from './helpers/service.js';
import { waitUntilSettled } from './helpers/settled.js';

/**
 * Two instances of the service on one database; 200 leads write 3 messages each, each message
 * posted to either instance at random, conversations interleaved. Every message must be
 * answered exactly once, and each lead must get its replies in the order it wrote.
 */
const CONVERSATIONS = 200;
const MESSAGES_EACH = 3;
const IN_FLIGHT = 24;

let fake: FakeWhatsAppProvider;
let instances: TestService[];

beforeAll(async () => {
  fake = createFakeWhatsAppProvider();
  const urls = await fake.start();
  const env = { ...providerEnv('zapi', urls), MESSAGE_BUFFER_MS: '150', DATABASE_POOL_MAX: '8' };
  const first = await startTestService(env, { agent: createEchoAgent().agent });
  const second = await startTestService(env, { agent: createEchoAgent().agent }, first.db);
  instances = [first, second];
});
afterAll(async () => {
  await instances[1]?.service.stop();
  await instances[0]?.stop();
  await fake.stop();
});

// A fixed-seed generator keeps the interleaving reproducible.
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('two instances, 200 conversations', () => {
  it('answers every message once and keeps each conversation in order', async () => {
    const random = seeded(7);
    const nextIndex = new Array<number>(CONVERSATIONS).fill(0);
    const textOf = (c: number, m: number) => `c${c}-m${m}`;

    // Each worker picks a random conversation with messages left and posts its next one.
    // A conversation's messages go out one after the other (as a person types), never in parallel.
    const busy = new Set<number>();
    async function worker() {
      for (;;) {
        const open = [...nextIndex.keys()].filter((c) => (nextIndex[c] ?? 0) < MESSAGES_EACH && !busy.has(c));
        if (open.length === 0) {
          if (busy.size === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        const c = open[Math.floor(random() * open.length)] as number;
        busy.add(c);
        const m = nextIndex[c] ?? 0;
        nextIndex[c] = m + 1;
        const target = instances[Math.floor(random() * instances.length)] as TestService;
        const response = await target.service.app.inject({
          method: 'POST',
          url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(zapiText({ phone: phoneFor(1000 + c), text: textOf(c, m) })),
        });
        expect(response.statusCode).toBe(200);
        busy.delete(c);
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));

    const pool = instances[0]?.service.pool;
    if (!pool) throw new Error('no pool');
    await waitUntilSettled(pool, 90_000);

    const stored = await pool.query(`select count(*)::int as n from messages where author = 'lead'`);
    expect(stored.rows[0]?.n).toBe(CONVERSATIONS * MESSAGES_EACH);

    // Each message text appears in exactly one reply, and in the order the lead wrote them.
    for (let c = 0; c < CONVERSATIONS; c += 1) {
      const replies = fake.sends.filter((s) => s.to === phoneFor(1000 + c)).map((s) => s.text);
      const answered = replies.flatMap((text) => text.replace(/^Recebi: /, '').split(' | '));
      expect(answered, `conversation ${c}`).toEqual(
        Array.from({ length: MESSAGES_EACH }, (_, m) => textOf(c, m)),
      );
    }
    const uncertain = await pool.query(`select count(*)::int as n from outbox where status <> 'sent'`);
    expect(uncertain.rows[0]?.n).toBe(0);
  }, 150_000);
});
