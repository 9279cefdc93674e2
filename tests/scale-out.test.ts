import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneFor, zapiText } from './factories.js';
import { createFakeWhatsAppProvider, type FakeWhatsAppProvider } from './fakes/whatsapp-provider.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { providerEnv, ZAPI_WEBHOOK_SECRET } from './helpers/pipeline.js';
import { type ServiceProcess, spawnService, stopService, waitUntilReady } from './helpers/process.js';
import { auditReplies } from './helpers/reply-audit.js';
import { seededRandom } from './helpers/seeded-random.js';
import { pipelineState, waitUntilSettled } from './helpers/settled.js';
import { createWebhookSender, type Delivery } from './helpers/webhook-sender.js';

/**
 * Three service processes on one database behind a round-robin sender. Leads write five
 * messages each, some in bursts, some spread out; about one delivery in ten is repeated, and
 * deliveries are shuffled within a small window, so a lead's messages can arrive in another
 * order than their provider timestamps. Every message must be answered exactly once, and each
 * lead's replies must go out in the order their turns were written.
 *
 * Size by SCALE_CONVERSATIONS: 200 in the normal run, 1,000 in `npm run test:scale`.
 */
const CONVERSATIONS = Number(process.env.SCALE_CONVERSATIONS ?? 200);
const MESSAGES_EACH = 5;
const INSTANCES = 3;
const IN_FLIGHT = 24;
const DUPLICATE_SHARE = 0.1;
const REORDER_WINDOW = 6;
// Share of a lead's follow-ups typed in a burst right after the previous one.
const BURST_SHARE = 0.3;
const SEED = 7;

let provider: FakeWhatsAppProvider;
let db: TestDatabase;
let client: pg.Client;
let cwd: string;
const instances: ServiceProcess[] = [];

beforeAll(async () => {
  provider = createFakeWhatsAppProvider({ seed: SEED });
  const urls = await provider.start();
  cwd = await mkdtemp(path.join(tmpdir(), 'seleto-scale-'));
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const env = {
    ...providerEnv('zapi', urls),
    DATABASE_URL: db.url,
    LOG_LEVEL: 'warn',
    MESSAGE_BUFFER_MS: '150',
  };
  for (let i = 0; i < INSTANCES; i++) instances.push(await spawnService(env, cwd));
  await Promise.all(instances.map((proc) => waitUntilReady(proc, 60_000)));
}, 120_000);
afterAll(async () => {
  await Promise.all(instances.map((proc) => stopService(proc)));
  await client?.end();
  await db?.drop();
  await provider?.stop();
  await rm(cwd, { recursive: true, force: true });
});

type Planned = Delivery & { conversation: number; index: number; at: number };

/**
 * The delivery order: each lead starts somewhere in the first 80% of the stream and writes on,
 * then neighbours are shuffled within REORDER_WINDOW and repeats are inserted a little later.
 */
function planDeliveries(): { order: Planned[]; duplicates: number } {
  const random = seededRandom(SEED);
  const startedMs = Date.now();
  const planned: Planned[] = [];
  for (let c = 0; c < CONVERSATIONS; c++) {
    let at = random() * 0.8;
    for (let m = 0; m < MESSAGES_EACH; m++) {
      if (m > 0) at += random() < BURST_SHARE ? random() * 0.002 : 0.01 + random() * 0.04;
      const messageId = `SCALE${SEED}C${c}M${m}`;
      const body = zapiText({ phone: phoneFor(5000 + c), text: `Recado c${c} m${m}`, messageId });
      // The provider's timestamps follow the order the lead wrote, whatever the delivery order.
      body.momment = startedMs + Math.round(at * 600_000) + m;
      const path = `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`;
      planned.push({ messageId, path, body: JSON.stringify(body), conversation: c, index: m, at });
    }
  }
  planned.sort((a, b) => a.at - b.at);
  for (let start = 0; start < planned.length; start += REORDER_WINDOW) {
    for (let i = Math.min(start + REORDER_WINDOW, planned.length) - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [planned[i], planned[j]] = [planned[j] as Planned, planned[i] as Planned];
    }
  }
  const order: Planned[] = [];
  const repeats = new Map<number, Planned[]>();
  let duplicates = 0;
  planned.forEach((item, position) => {
    order.push(item, ...(repeats.get(position) ?? []));
    if (random() < DUPLICATE_SHARE) {
      duplicates++;
      const later = position + 1 + Math.floor(random() * 40);
      repeats.set(later, [...(repeats.get(later) ?? []), item]);
    }
  });
  for (const [position, items] of repeats) if (position >= planned.length) order.push(...items);
  return { order, duplicates };
}

/** Leads at least one of whose messages was delivered before an earlier-written one. */
function countReorderedLeads(order: Planned[]): number {
  const highest = new Map<number, number>();
  const reordered = new Set<number>();
  for (const item of order) {
    const seen = highest.get(item.conversation) ?? -1;
    if (item.index < seen) reordered.add(item.conversation);
    highest.set(item.conversation, Math.max(seen, item.index));
  }
  return reordered.size;
}

describe(`scale-out: ${INSTANCES} instances, ${CONVERSATIONS} conversations × ${MESSAGES_EACH} messages`, () => {
  it(
    'answers every message exactly once and keeps each conversation in order',
    async () => {
      const { order, duplicates } = planDeliveries();
      const sender = createWebhookSender({
        targets: () => instances.map((proc) => `http://127.0.0.1:${proc.port}`),
        deadlineMs: 60_000,
      });
      const startedAt = performance.now();
      let next = 0;
      async function worker() {
        for (let i = next++; i < order.length; i = next++) await sender.deliver(order[i] as Planned);
      }
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      const sentS = (performance.now() - startedAt) / 1000;
      await sender.close();

      await waitUntilSettled(client, 60_000 + CONVERSATIONS * 300).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${JSON.stringify(await pipelineState(client)).slice(0, 4000)}`);
      });
      const wallS = (performance.now() - startedAt) / 1000;
      const sendTimes = provider.sends.map((s) => s.at.getTime());
      const replyS = (Math.max(...sendTimes) - Math.min(...sendTimes)) / 1000;

      const audit = await auditReplies(client, { accepted: sender.stats.accepted, sends: provider.sends });
      console.log(
        [
          `scale-out: ${INSTANCES} processes, ${CONVERSATIONS} conversations × ${MESSAGES_EACH} messages, ` +
            `${order.length} deliveries (${duplicates} repeats), ${countReorderedLeads(order)} leads delivered out of order`,
          `webhooks: ${(order.length / sentS).toFixed(0)} deliveries/s, ${(audit.accepted / sentS).toFixed(0)} messages/s ` +
            `over ${sentS.toFixed(1)} s; retried ${sender.stats.retries}`,
          `replies: ${audit.providerSends} sends for ${audit.replyTurns} turns, ${(audit.providerSends / replyS).toFixed(0)} replies/s ` +
            `over ${replyS.toFixed(1)} s; uncertain ${audit.partsUncertain}; turns answering reordered input ${audit.turnsWithReorderedInput}`,
          `wall time from first delivery to settled: ${wallS.toFixed(1)} s`,
        ].join('\n'),
      );

      expect(sender.stats.failed).toEqual([]);
      expect(audit.problems).toEqual([]);
      expect(audit.accepted).toBe(CONVERSATIONS * MESSAGES_EACH);
      expect(audit.storedLeadMessages).toBe(CONVERSATIONS * MESSAGES_EACH);
      expect(audit.partsUncertain).toBe(0);
      expect(audit.providerSends).toBe(audit.partsSent);
    },
    120_000 + CONVERSATIONS * 400,
  );
});
