import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInboundEventRepo } from '../src/db/inbound-event.repo.js';
import { createPacingRepo } from '../src/db/pacing.repo.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { phoneFor, zapiText } from './factories.js';
import { createFakeWhatsAppProvider, type FakeWhatsAppProvider } from './fakes/whatsapp-provider.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { captureLogs } from './helpers/logs.js';
import { createEchoAgent, providerEnv, ZAPI_WEBHOOK_SECRET } from './helpers/pipeline.js';
import { startTestService } from './helpers/service.js';
import { waitFor } from './helpers/wait.js';

let db: TestDatabase;
let pools: Pool[];

beforeAll(async () => {
  db = await createTestDatabase();
  pools = [0, 1].map(() => createPool({ connectionString: db.url, max: 4, log: captureLogs().log }));
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await db.drop();
});

describe('send pacing', () => {
  it('gives concurrent senders on two instances distinct slots one interval apart', async () => {
    const reservations = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        createPacingRepo(pools[i % 2] as Pool).reserve('zapi:instance-a', 1000, 60_000),
      ),
    );
    const slots = reservations
      .map((r) => ('slotAt' in r ? r.slotAt.getTime() : Number.NaN))
      .sort((a, b) => a - b);
    for (let i = 1; i < slots.length; i += 1)
      expect((slots[i] as number) - (slots[i - 1] as number)).toBe(1000);
  });

  it('defers a sender whose slot is further away than it may wait, without taking the slot', async () => {
    const repo = createPacingRepo(pools[0] as Pool);
    await repo.reserve('meta:number-b', 10_000, 60_000);
    const deferred = await repo.reserve('meta:number-b', 10_000, 2_000);
    if (!('deferUntil' in deferred)) throw new Error('expected the sender to be deferred');
    // The deferred sender left the slot free: the next patient sender gets exactly that slot.
    expect(await repo.reserve('meta:number-b', 10_000, 60_000)).toEqual({ slotAt: deferred.deferUntil });
  });

  it('spaces the replies of different conversations by the configured cap', async () => {
    const fake: FakeWhatsAppProvider = createFakeWhatsAppProvider();
    const urls = await fake.start();
    const t = await startTestService(
      { ...providerEnv('zapi', urls), WHATSAPP_MAX_SENDS_PER_MINUTE: '120' },
      { agent: createEchoAgent().agent },
    );
    try {
      const postedAt = Date.now();
      for (let i = 0; i < 4; i += 1) {
        await t.service.app.inject({
          method: 'POST',
          url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(zapiText({ phone: phoneFor(300 + i), text: `oi ${i}` })),
        });
      }
      await waitFor(() => fake.sends.length === 4, { what: 'four replies', timeoutMs: 15_000 });
      // 120 a minute is one slot every 500 ms, and each part is claimed at or after its slot:
      // the fourth reply cannot go out before three intervals after the first could.
      const claimed = await t.service.pool.query<{ at: Date }>(
        'select sending_at as at from outbox order by sending_at',
      );
      const times = claimed.rows.map((row) => row.at.getTime());
      expect(times).toHaveLength(4);
      expect((times[3] as number) - postedAt).toBeGreaterThanOrEqual(1500);
    } finally {
      await t.stop();
      await fake.stop();
    }
  });
});

describe('raw payload retention', () => {
  it('clears raw payloads older than the retention and keeps the audit rows', async () => {
    const repo = createInboundEventRepo(pools[0] as Pool);
    const event = (id: string) => ({
      provider: 'zapi',
      instanceId: 'i',
      messageId: id,
      eventType: 'ignored' as const,
      payload: null,
    });
    await repo.insertMany(
      [event('old-1'), event('new-1')],
      JSON.stringify({ phone: '5511987650001' }),
      'corr',
    );
    await pools[0]?.query(
      `update inbound_events set received_at = now() - interval '40 days' where message_id = 'old-1'`,
    );

    expect(await repo.purgeRaw(30)).toBe(1);

    const rows =
      await pools[0]?.query(`select message_id, raw is null as purged, raw_purged_at is not null as marked
      from inbound_events where message_id in ('old-1', 'new-1') order by message_id`);
    expect(rows?.rows).toEqual([
      { message_id: 'new-1', purged: false, marked: false },
      { message_id: 'old-1', purged: true, marked: true },
    ]);
  });
});
