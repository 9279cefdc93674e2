import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metaText, phoneFor, signMeta, zapiText } from './factories.js';
import { createFakeWhatsAppProvider, type FakeWhatsAppProvider } from './fakes/whatsapp-provider.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { freePort } from './helpers/free-port.js';
import { createEchoAgent, providerEnv, ZAPI_WEBHOOK_SECRET } from './helpers/pipeline.js';
import { type ServiceProcess, spawnService, stopService, waitUntilReady } from './helpers/process.js';
import { startTestService, TEST_ADMIN_TOKEN } from './helpers/service.js';
import { waitUntilSettled } from './helpers/settled.js';
import { waitFor } from './helpers/wait.js';

/**
 * A worker killed at the worst moments: the reply committed but not sent, and the provider
 * call in flight. The service is a real process killed with SIGKILL, then started again.
 */
let fake: FakeWhatsAppProvider;
let urls: Awaited<ReturnType<FakeWhatsAppProvider['start']>>;
let db: TestDatabase;
let client: pg.Client;
let cwd: string;
const running: ServiceProcess[] = [];

beforeAll(async () => {
  fake = createFakeWhatsAppProvider();
  urls = await fake.start();
  cwd = await mkdtemp(path.join(tmpdir(), 'seleto-crash-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((proc) => stopService(proc)));
  await client?.end();
  await db?.drop();
  fake.reset();
});
afterAll(async () => {
  await fake.stop();
  await rm(cwd, { recursive: true, force: true });
});

async function freshDatabase() {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
}

async function start(provider: 'meta' | 'zapi', env: Record<string, string>) {
  const proc = await spawnService(
    {
      ...providerEnv(provider, urls),
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      MESSAGE_BUFFER_MS: '200',
      // A killed worker's turn is retried within seconds.
      TURN_TIMEOUT_SECONDS: '5',
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      ...env,
    },
    cwd,
  );
  running.push(proc);
  await waitUntilReady(proc);
  return proc;
}

function kill(proc: ServiceProcess) {
  proc.child.kill('SIGKILL');
  return proc.exited;
}

async function postZapi(proc: ServiceProcess, phone: string, text: string) {
  const response = await fetch(
    `http://127.0.0.1:${proc.port}/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(zapiText({ phone, text })),
    },
  );
  expect(response.status).toBe(200);
}

async function postMeta(proc: ServiceProcess, phone: string, text: string) {
  const body = JSON.stringify(metaText({ phone, text }));
  const response = await fetch(`http://127.0.0.1:${proc.port}/webhooks/whatsapp/meta`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMeta(body) },
    body,
  });
  expect(response.status).toBe(200);
}

async function outboxStatus(chatId: string): Promise<string | undefined> {
  const result = await client.query<{ status: string }>('select status from outbox where chat_id = $1', [
    chatId,
  ]);
  return result.rows[0]?.status;
}

const sendsTo = (to: string) => fake.sends.filter((s) => s.to === to).length;
/** Send calls that reached the provider for this recipient, answered or not. */
const sendRequestsTo = (to: string) =>
  fake.requests.filter((r) => {
    // Meta sends `to`, Z-API `phone`, Evolution `number`.
    const body = r.body as { to?: string; phone?: string; number?: string } | null;
    return r.method === 'POST' && (body?.to ?? body?.phone ?? body?.number) === to;
  }).length;

describe('crash recovery', () => {
  it('sends a reply exactly once when the worker dies between the answer and the send', async () => {
    await freshDatabase();
    // 6 sends a minute: the second lead's reply waits ~10 s for its slot, committed but unsent.
    const first = await start('zapi', { WHATSAPP_MAX_SENDS_PER_MINUTE: '6' });
    const [leadA, leadB] = [phoneFor(21), phoneFor(22)];
    await postZapi(first, leadA, 'Oi');
    await waitFor(() => sendsTo(leadA) === 1, { what: "the first lead's reply" });
    await postZapi(first, leadB, 'Olá, quero um orçamento');
    await waitFor(async () => (await outboxStatus(leadB)) === 'pending', {
      what: "the second lead's reply committed",
    });
    await kill(first);

    const second = await start('zapi', { WHATSAPP_MAX_SENDS_PER_MINUTE: '6' });
    await waitFor(() => sendsTo(leadB) === 1, { what: 'the reply after the restart', timeoutMs: 45_000 });
    await waitUntilSettled(client);
    expect(sendsTo(leadB)).toBe(1);
    expect(sendsTo(leadA)).toBe(1);
    expect(await outboxStatus(leadB)).toBe('sent');
    await stopService(second);
  }, 90_000);

  it('never resends a part that was in flight when the worker died; without an echo it is marked uncertain', async () => {
    await freshDatabase();
    const first = await start('meta', { WHATSAPP_SEND_TIMEOUT_MS: '30000' });
    const lead = phoneFor(23);
    fake.fail(1, { delayMs: 4000 });
    await postMeta(first, lead, 'Olá');
    await waitFor(async () => (await outboxStatus(lead)) === 'sending', { what: 'the send in flight' });
    // Kill only once the provider holds the call: the crash lands inside the provider call itself.
    await waitFor(() => sendRequestsTo(lead) === 1, { what: 'the provider receiving the call' });
    await kill(first);

    const second = await start('meta', { WHATSAPP_SEND_TIMEOUT_MS: '30000' });
    await waitFor(async () => (await outboxStatus(lead)) === 'uncertain', {
      what: 'the uncertain mark',
      timeoutMs: 45_000,
    });
    await waitUntilSettled(client);
    // The restarted service never called the provider again for this part.
    expect(sendRequestsTo(lead)).toBe(1);
    expect(await outboxStatus(lead)).toBe('uncertain');
    const events = await client.query(`select type from agent_events where type = 'send_uncertain'`);
    expect(events.rowCount).toBe(1);
    // The conversation is not stuck on the uncertain part: the lead's next message is answered.
    await postMeta(second, lead, 'Ainda está aí?');
    await waitFor(() => sendRequestsTo(lead) === 2, { what: 'the next reply', timeoutMs: 30_000 });
    const admin = await fetch(`http://127.0.0.1:${second.port}/admin/outbox?status=uncertain`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(((await admin.json()) as { outbox: unknown[] }).outbox).toHaveLength(1);
    await stopService(second);
  }, 90_000);

  it('reconciles an in-flight part with the provider echo instead of resending it', async () => {
    await freshDatabase();
    const port = String(await freePort());
    const env = { PORT: port, WHATSAPP_SEND_TIMEOUT_MS: '30000' };
    fake.echoTo(`http://127.0.0.1:${port}/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`, 'zapi');
    const first = await start('zapi', env);
    const lead = phoneFor(24);
    fake.fail(1, { delayMs: 3000 });
    await postZapi(first, lead, 'Bom dia');
    await waitFor(async () => (await outboxStatus(lead)) === 'sending', { what: 'the send in flight' });
    await waitFor(() => sendRequestsTo(lead) === 1, { what: 'the provider receiving the call' });
    await kill(first);

    const second = await start('zapi', env);
    await waitFor(async () => (await outboxStatus(lead)) === 'sent', {
      what: 'the echo reconciled',
      timeoutMs: 45_000,
    });
    // The killed worker's turn is retried after its lease: only once that retry has run is "no resend" proven.
    await waitFor(
      async () =>
        (
          await client.query(
            `select 1 from pgboss.job where name = 'conversation-turn' and retry_count > 0 and state = 'completed'`,
          )
        ).rowCount === 1,
      { what: 'the retried turn to complete', timeoutMs: 45_000 },
    );
    await waitUntilSettled(client);
    expect(sendsTo(lead)).toBe(1);
    expect(await outboxStatus(lead)).toBe('sent');
    // The echo closed the turn and put the reply in the transcript the agent reads, once.
    const turn = await client.query(`select status from turns`);
    expect(turn.rows.map((row) => row.status)).toEqual(['sent']);
    const botMessages = await client.query(`select 1 from messages where author = 'bot'`);
    expect(botMessages.rowCount).toBe(1);
    const paused = await client.query('select 1 from conversations where paused_at is not null');
    expect(paused.rowCount).toBe(0);
    await stopService(second);
  }, 90_000);
});

describe('restart inside the burst window', () => {
  it('answers a message accepted just before a restart, once', async () => {
    const echo = createEchoAgent();
    const env = { ...providerEnv('zapi', urls), MESSAGE_BUFFER_MS: '2000' };
    const first = await startTestService(env, { agent: echo.agent });
    await first.service.app.inject({
      method: 'POST',
      url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(zapiText({ phone: phoneFor(25), text: 'Antes do restart' })),
    });
    await waitFor(async () => (await first.service.pool.query('select 1 from messages')).rowCount === 1, {
      what: 'the message stored',
    });
    await first.service.stop();
    expect(sendsTo(phoneFor(25))).toBe(0);

    const second = await startTestService(env, { agent: echo.agent }, first.db);
    await waitFor(() => sendsTo(phoneFor(25)) === 1, { what: 'the reply after the restart' });
    await waitUntilSettled(second.service.pool);
    expect(sendsTo(phoneFor(25))).toBe(1);
    await second.stop();
  });

  it('stops while a flood is being applied, dead-letters nothing, and the next start answers each message once', async () => {
    const echo = createEchoAgent();
    const env = { ...providerEnv('zapi', urls), MESSAGE_BUFFER_MS: '200' };
    const phones = Array.from({ length: 80 }, (_, i) => phoneFor(100 + i));
    const first = await startTestService(env, { agent: echo.agent });
    await Promise.all(
      phones.map((phone) =>
        first.service.app.inject({
          method: 'POST',
          url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(zapiText({ phone, text: 'Chegou agora' })),
        }),
      ),
    );
    // Stop at once: the processor is still applying the flood and enqueueing turns.
    await first.service.stop();

    const second = await startTestService(env, { agent: echo.agent }, first.db);
    await waitFor(() => phones.every((phone) => sendsTo(phone) >= 1), {
      what: 'every message answered after the restart',
      timeoutMs: 30_000,
    });
    await waitUntilSettled(second.service.pool);
    expect(phones.filter((phone) => sendsTo(phone) !== 1)).toEqual([]);
    const lost = await second.service.pool.query(
      `select (select count(*) from dead_letters) as dead_letters,
              (select count(*) from inbound_events where detail like 'processing failed%') as failed_events`,
    );
    expect(lost.rows[0]).toEqual({ dead_letters: 0, failed_events: 0 });
    await second.stop();
  }, 60_000);
});
