import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneFor, zapiText } from './factories.js';
import { type ChatRequest, createFakeOpenAI, type FakeOpenAI } from './fakes/openai.js';
import { createFakeWhatsAppProvider, type FakeWhatsAppProvider } from './fakes/whatsapp-provider.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { freePort } from './helpers/free-port.js';
import { closeServer, listenOnLoopback } from './helpers/loopback-server.js';
import { providerEnv, ZAPI_WEBHOOK_SECRET } from './helpers/pipeline.js';
import { type ServiceProcess, spawnService, stopService, waitUntilReady } from './helpers/process.js';
import { auditReplies } from './helpers/reply-audit.js';
import { seededRandom } from './helpers/seeded-random.js';
import { pipelineState, waitUntilSettled } from './helpers/settled.js';
import { waitFor } from './helpers/wait.js';
import { createWebhookSender, type Delivery, type WebhookSender } from './helpers/webhook-sender.js';

/**
 * `npm run test:chaos`: the real service as a child process, with the model's path on (a fake
 * OpenAI) and Z-API's echoes coming back, is killed with SIGKILL five times while leads keep
 * writing, and started again each time. Webhooks refused while it is down are retried, as the
 * provider does. Each kill lands at a seeded moment of a seeded kind: right after a webhook was
 * accepted, during a model call, while the provider holds a send, or after a short while.
 * CHAOS_SEED replays a run.
 */
const SEED = Number(process.env.CHAOS_SEED ?? 20_261);
const CONVERSATIONS = 40;
const MESSAGES_EACH = 5;
const TYPISTS = 6;
const DUPLICATE_SHARE = 0.1;
// Long enough for the kind of kill to happen; a trigger that does not fire in time kills anyway.
const TRIGGER_WAIT_MS = 15_000;
// The provider holds one send this long, so the kill lands inside the provider call.
const HELD_SEND_MS = 1_500;

/**
 * One kill of each kind per run, in a seeded order. A kill inside the provider call leaves the
 * part in flight: when Z-API's echo of it comes back, it is recognised as sent; when the echo is
 * lost (webhooks are), the part is marked uncertain and never resent.
 */
type KillKind = 'webhook' | 'model' | 'send, echo delivered' | 'send, echo lost' | 'timer';
const KILL_KINDS: KillKind[] = ['webhook', 'model', 'send, echo delivered', 'send, echo lost', 'timer'];

// Separate dice for the kills, the model and each lead, so one role's draws do not shift another's.
const dice = (offset: number) => {
  const random = seededRandom(SEED * 1_000 + offset);
  return { random, between: (min: number, max: number) => min + Math.floor(random() * (max - min)) };
};
const killDice = dice(0);
const modelDice = dice(1);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let provider: FakeWhatsAppProvider;
let model: FakeOpenAI;
let db: TestDatabase;
let client: pg.Client;
let cwd: string;
let service: ReturnType<typeof createServiceRunner> | undefined;
let relay: EchoRelay | undefined;
let urls: Awaited<ReturnType<FakeWhatsAppProvider['start']>>;
let openaiUrl: string;

/** The lead's newest message, quoted back: each reply names what it answered. */
function replyTo(request: ChatRequest) {
  const lastLead = [...request.messages].reverse().find((m) => m.role === 'user');
  const text = typeof lastLead?.content === 'string' ? lastLead.content : 'sua mensagem';
  const reply = { reply: `Anotado: ${text}` };
  // biome-ignore lint/suspicious/noThenProperty: the fake's delay step names its answer `then`; an object, not a thenable.
  return { delayMs: modelDice.between(20, 150), then: reply };
}

beforeAll(async () => {
  provider = createFakeWhatsAppProvider({ seed: SEED });
  urls = await provider.start();
  model = createFakeOpenAI({ seed: SEED, defaultReply: replyTo });
  ({ baseUrl: openaiUrl } = await model.start());
  cwd = await mkdtemp(path.join(tmpdir(), 'seleto-chaos-'));
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await service?.stop();
  await client?.end();
  await db?.drop();
  await provider?.stop();
  await model?.stop();
  await relay?.stop();
  await rm(cwd, { recursive: true, force: true });
});

/**
 * Stands between the provider's echoes and the service, so that one chosen echo can be lost.
 * The others are retried until the restarted service takes them: the fake provider's own echo
 * retries (five, a second apart) are shorter than a restart on a loaded machine.
 */
async function startEchoRelay(target: string) {
  let lose: { phone: string; text: string } | undefined;
  const sender = createWebhookSender({ targets: () => [target], deadlineMs: 60_000 });
  const inFlight = new Set<Promise<unknown>>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    res.writeHead(200).end();
    const echo = JSON.parse(body) as { messageId: string; phone?: string; text?: { message?: string } };
    if (lose && echo.phone === lose.phone && echo.text?.message === lose.text) {
      lose = undefined;
      return;
    }
    const forwarded = sender.deliver({ messageId: echo.messageId, path: req.url ?? '/', body });
    inFlight.add(forwarded);
    void forwarded.finally(() => inFlight.delete(forwarded));
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    loseEchoOf: (send: { phone: string; text: string }) => {
      lose = send;
    },
    isIdle: () => inFlight.size === 0,
    stats: sender.stats,
    stop: async () => {
      await closeServer(server);
      await sender.close();
    },
  };
}
type EchoRelay = Awaited<ReturnType<typeof startEchoRelay>>;

const WEBHOOK_PATH = `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`;

/** The service process on a fixed port, so echoes and webhooks find a restarted one where the old one was. */
function createServiceRunner(env: Record<string, string>) {
  let current: ServiceProcess | undefined;
  const downMs: number[] = [];
  async function start() {
    current = await spawnService(env, cwd);
    await waitUntilReady(current, 30_000);
  }
  return {
    start,
    downMs,
    async killAndRestart() {
      const proc = current as ServiceProcess;
      proc.child.kill('SIGKILL');
      await proc.exited;
      const downAt = Date.now();
      await start();
      downMs.push(Date.now() - downAt);
    },
    stop: async () => {
      if (current) await stopService(current);
    },
  };
}

/**
 * A few leads type at once; each writes its messages one after another, some inside the burst
 * window, some after the reply; now and then the provider delivers one twice.
 */
function createLeads(sender: WebhookSender) {
  const redeliveries: Promise<unknown>[] = [];
  let duplicates = 0;
  let nextConversation = 0;
  const delivery = (c: number, m: number): Delivery => {
    const messageId = `CHAOS${SEED}C${c}M${m}`;
    const body = zapiText({ phone: phoneFor(3000 + c), text: `Recado c${c} m${m}`, messageId });
    return { messageId, path: WEBHOOK_PATH, body: JSON.stringify(body) };
  };
  async function typist() {
    for (let c = nextConversation++; c < CONVERSATIONS; c = nextConversation++) {
      const { random, between } = dice(2 + c);
      for (let m = 0; m < MESSAGES_EACH; m++) {
        const item = delivery(c, m);
        await sender.deliver(item);
        if (random() < DUPLICATE_SHARE) {
          duplicates++;
          redeliveries.push(pause(between(50, 900)).then(() => sender.deliver(item)));
        }
        await pause(between(30, 900));
      }
    }
  }
  return {
    async run() {
      await Promise.all(Array.from({ length: TYPISTS }, typist));
      await Promise.all(redeliveries);
    },
    duplicates: () => duplicates,
  };
}

const sendRequests = () =>
  provider.requests.filter((r) => r.method === 'POST' && r.path.includes('send-text'));

/** Resolves at the kill's moment; rejects when that moment did not come in time. */
async function momentOf(kind: KillKind, sender: WebhookSender, echoRelay: EchoRelay): Promise<unknown> {
  const { between } = killDice;
  const until = (probe: () => boolean) => waitFor(probe, { timeoutMs: TRIGGER_WAIT_MS, intervalMs: 5 });
  if (kind === 'timer') return pause(between(100, 900));
  if (kind === 'webhook') {
    const target = sender.stats.accepted.size + between(1, 15);
    return until(() => sender.stats.accepted.size >= target);
  }
  if (kind === 'model') {
    const target = model.chatRequests().length + between(1, 5);
    return until(() => model.chatRequests().length >= target);
  }
  provider.fail(1, { delayMs: HELD_SEND_MS });
  const target = sendRequests().length + 1;
  await until(() => sendRequests().length >= target);
  if (kind === 'send, echo lost') {
    const held = sendRequests()[target - 1]?.body as { phone: string; message: string };
    echoRelay.loseEchoOf({ phone: held.phone, text: held.message });
  }
}

/** Every kind once, in a seeded order; each kill is followed by a restart. */
async function killFiveTimes(
  runner: ReturnType<typeof createServiceRunner>,
  sender: WebhookSender,
  echoRelay: EchoRelay,
) {
  const plan = [...KILL_KINDS];
  for (let i = plan.length - 1; i > 0; i--) {
    const j = killDice.between(0, i + 1);
    [plan[i], plan[j]] = [plan[j] as KillKind, plan[i] as KillKind];
  }
  const kills: string[] = [];
  for (const kind of plan) {
    const isOnTime = await momentOf(kind, sender, echoRelay).then(
      () => true,
      () => false,
    );
    kills.push(isOnTime ? kind : `${kind} (its moment did not come: killed anyway)`);
    await runner.killAndRestart();
  }
  return kills;
}

describe('chaos: SIGKILL during a steady stream of webhooks', () => {
  it('stores every accepted message once and answers it once, across five kills', async () => {
    const port = await freePort();
    const echoRelay = await startEchoRelay(`http://127.0.0.1:${port}`);
    relay = echoRelay;
    provider.echoTo(`${echoRelay.url}${WEBHOOK_PATH}`, 'zapi');
    const runner = createServiceRunner({
      ...providerEnv('zapi', urls),
      PORT: String(port),
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      MESSAGE_BUFFER_MS: '200',
      // A killed worker's turn is retried within seconds.
      TURN_TIMEOUT_SECONDS: '5',
      OPENAI_API_KEY: 'sk-test-fake',
      OPENAI_BASE_URL: openaiUrl,
      OPENAI_TIMEOUT_MS: '5000',
      OPENAI_MAX_RETRIES: '1',
    });
    service = runner;
    await runner.start();
    const sender = createWebhookSender({ targets: () => [`http://127.0.0.1:${port}`], deadlineMs: 60_000 });
    const leads = createLeads(sender);

    const startedAt = Date.now();
    const [kills] = await Promise.all([killFiveTimes(runner, sender, echoRelay), leads.run()]);
    const trafficS = (Date.now() - startedAt) / 1000;
    const settle = () =>
      waitUntilSettled(client, 90_000).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${JSON.stringify(await pipelineState(client)).slice(0, 4000)}`);
      });
    await settle();
    // An echo still on its way could change how a part ended: let it land, then settle again.
    await waitFor(() => echoRelay.isIdle(), { what: 'the echoes to be delivered', timeoutMs: 60_000 });
    await settle();
    await sender.close();

    const audit = await auditReplies(client, { accepted: sender.stats.accepted, sends: provider.sends });
    console.log(
      [
        `chaos seed ${SEED}: ${trafficS.toFixed(1)} s of traffic, settled after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
        `kills ${kills.length} (${kills.join('; ')}), restarts ${runner.downMs.length} (down ${runner.downMs.join(', ')} ms)`,
        `webhooks: accepted ${audit.accepted} messages, duplicates sent ${leads.duplicates()}, ` +
          `attempts ${sender.stats.attempts}, retried while down ${sender.stats.retries}, never accepted ${sender.stats.failed.length}`,
        `echoes forwarded ${echoRelay.stats.accepted.size}, retried while down ${echoRelay.stats.retries}`,
        `stored lead messages ${audit.storedLeadMessages} (${audit.storedUnacknowledged} never acknowledged to the sender); replies: turns ${audit.replyTurns}, parts sent ${audit.partsSent}, ` +
          `uncertain ${audit.partsUncertain} (of which reached the provider ${audit.uncertainThatReachedProvider}), ` +
          `provider sends ${audit.providerSends}, model calls ${model.chatRequests().length}`,
      ].join('\n'),
    );

    expect(sender.stats.failed).toEqual([]);
    expect(audit.accepted).toBe(CONVERSATIONS * MESSAGES_EACH);
    expect(audit.storedLeadMessages).toBe(CONVERSATIONS * MESSAGES_EACH);
    expect(audit.problems).toEqual([]);
    expect(audit.providerSends).toBe(audit.partsSent + audit.uncertainThatReachedProvider);
    expect(kills).toHaveLength(KILL_KINDS.length);
    expect(runner.downMs).toHaveLength(KILL_KINDS.length);
  }, 180_000);
});
