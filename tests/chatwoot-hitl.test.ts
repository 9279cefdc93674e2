import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HANDOFF_MESSAGE } from '../src/agents/offline/offline-policy.js';
import { phoneFor, zapiText } from './factories.js';
import { createFakeChatwoot, type FakeChatwoot } from './fakes/chatwoot.js';
import type { FakeWhatsAppProvider } from './fakes/whatsapp-provider.js';
import { createEchoAgent, providerEnv, startFakeProvider, ZAPI_WEBHOOK_SECRET } from './helpers/pipeline.js';
import { startTestService, TEST_ADMIN_TOKEN, type TestService } from './helpers/service.js';
import { isSettled } from './helpers/settled.js';
import { waitFor } from './helpers/wait.js';

/**
 * Human in the loop through the whole service: WhatsApp (fake Z-API) on one side, Chatwoot (a
 * fake that keeps conversations and calls our webhook back, our own posts included) on the other.
 */
const CHATWOOT_TOKEN = 'chatwoot-api-token';
const WEBHOOK_TOKEN = 'chatwoot-webhook-token';
const BOT_USER_ID = 15;
const HUMAN_ID = 12;

let provider: FakeWhatsAppProvider;
let urls: Awaited<ReturnType<FakeWhatsAppProvider['start']>>;
let chatwoot: FakeChatwoot;
let chatwootUrl: string;
let t: TestService | undefined;

beforeAll(async () => {
  ({ fake: provider, urls } = await startFakeProvider());
  chatwoot = createFakeChatwoot({ token: CHATWOOT_TOKEN, accountId: 3, inboxId: 7, botUserId: BOT_USER_ID });
  ({ baseUrl: chatwootUrl } = await chatwoot.start());
});
afterEach(async () => {
  await t?.stop();
  t = undefined;
  provider.reset();
  chatwoot.reset();
});
afterAll(async () => {
  await provider.stop();
  await chatwoot.stop();
});

const CHATWOOT_ENV = {
  CHATWOOT_BASE_URL: '',
  CHATWOOT_API_TOKEN: CHATWOOT_TOKEN,
  CHATWOOT_ACCOUNT_ID: '3',
  CHATWOOT_INBOX_ID: '7',
  CHATWOOT_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
  CHATWOOT_BOT_USER_ID: String(BOT_USER_ID),
  CHATWOOT_HANDOFF_ASSIGNEE_ID: String(HUMAN_ID),
  CHATWOOT_HANDOFF_LABELS: 'lead-quente,qualificado',
};

/** The service listening for real: the fake Chatwoot calls its webhook over HTTP. */
async function start(
  options: { env?: Record<string, string>; echoAgent?: ReturnType<typeof createEchoAgent> } = {},
) {
  const overrides = options.echoAgent ? { agent: options.echoAgent.agent } : {};
  t = await startTestService(
    { ...providerEnv('zapi', urls), ...CHATWOOT_ENV, CHATWOOT_BASE_URL: chatwootUrl, ...options.env },
    overrides,
  );
  await t.service.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.service.app.server.address() as AddressInfo;
  chatwoot.webhookTo(`http://127.0.0.1:${port}/webhooks/chatwoot?token=${WEBHOOK_TOKEN}`);
  return t;
}

async function leadSays(phone: string, text: string) {
  const response = await (t as TestService).service.app.inject({
    method: 'POST',
    url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(zapiText({ phone, text })),
  });
  expect(response.statusCode).toBe(200);
  await settle();
}

/** Our pipeline, the Chatwoot jobs and the fake's webhooks all quiet, checked in one pass. */
async function settle() {
  const { pool } = (t as TestService).service;
  await waitFor(
    async () => {
      await chatwoot.settled();
      const busy = await pool.query(
        `select (select count(*) from pgboss.job where name in ('chatwoot-mirror', 'chatwoot-event')
                   and state in ('created', 'retry', 'active'))
              + (select count(*) from chatwoot_events where processed_at is null) as n`,
      );
      return Number(busy.rows[0]?.n) === 0 && (await isSettled(pool));
    },
    { what: 'the pipeline and Chatwoot to settle', timeoutMs: 20_000, intervalMs: 100 },
  );
}

const sentToLead = () => provider.sends.map((send) => send.text);
const paused = async () =>
  (await (t as TestService).service.pool.query('select paused_at, paused_by from conversations')).rows[0];
const chatwootConversation = () => {
  const [conversation] = chatwoot.conversations;
  expect(conversation).toBeDefined();
  return conversation as NonNullable<typeof conversation>;
};

describe('Chatwoot mirror', () => {
  it('mirrors the lead and the bot in order, and our own echoes never pause the bot', async () => {
    await start({ echoAgent: createEchoAgent() });
    const phone = phoneFor(800);
    await leadSays(phone, 'Oi');
    await leadSays(phone, 'Tudo bem?');
    const mirrored = chatwoot.messages.map((m) => [m.message_type, m.content]);
    expect(mirrored).toEqual([
      ['incoming', 'Oi'],
      ['outgoing', 'Recebi: Oi'],
      ['incoming', 'Tudo bem?'],
      ['outgoing', 'Recebi: Tudo bem?'],
    ]);
    expect(chatwoot.contacts.map((c) => c.phone_number)).toEqual([`+${phone}`]);
    expect((await paused())?.paused_at).toBeNull();
    expect(sentToLead()).toHaveLength(2);
  });

  it('shows the lead message to the SDR at once, before the burst window closes', async () => {
    await start({ echoAgent: createEchoAgent(), env: { MESSAGE_BUFFER_MS: '4000' } });
    const response = await (t as TestService).service.app.inject({
      method: 'POST',
      url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(zapiText({ phone: phoneFor(809), text: 'Oi, tem alguém?' })),
    });
    expect(response.statusCode).toBe(200);
    await waitFor(() => chatwoot.messages.some((m) => m.content === 'Oi, tem alguém?'), {
      what: 'the lead message in Chatwoot',
    });
    expect(sentToLead()).toHaveLength(0);
    await settle();
    expect(chatwoot.messages.map((m) => m.content)).toEqual(['Oi, tem alguém?', 'Recebi: Oi, tem alguém?']);
  });

  it('recognises our echo when Chatwoot delivers it before answering the post', async () => {
    chatwoot.configure({ echoBeforeResponse: true });
    await start({ echoAgent: createEchoAgent() });
    await leadSays(phoneFor(801), 'Oi');
    expect((await paused())?.paused_at).toBeNull();
  });
});

describe('human takeover', () => {
  it('pauses on a human reply, stays silent, and resumes with /bot on knowing what the human said', async () => {
    const echo = createEchoAgent();
    await start({ echoAgent: echo });
    const phone = phoneFor(802);
    await leadSays(phone, 'Oi');
    await chatwoot.humanReply(chatwootConversation().id, 'Olá, aqui é o Rafael da Seleto');
    await settle();
    expect((await paused())?.paused_by).toBe(`human:chatwoot:${HUMAN_ID}`);

    await leadSays(phone, 'Quanto custa?');
    expect(sentToLead()).toEqual(['Recebi: Oi']);
    // Still stored and shown to the SDR.
    expect(chatwoot.messages.map((m) => m.content)).toContain('Quanto custa?');

    await chatwoot.humanReply(chatwootConversation().id, '/bot on', { private: true });
    await settle();
    expect((await paused())?.paused_at).toBeNull();
    await leadSays(phone, 'Ainda está aí?');
    expect(sentToLead()).toEqual(['Recebi: Oi', 'Recebi: Ainda está aí?']);
    const lastTurn = echo.calls.at(-1);
    expect(
      lastTurn?.transcript.some((e) => e.author === 'human' && e.text === 'Olá, aqui é o Rafael da Seleto'),
    ).toBe(true);
    const events = await (t as TestService).service.pool.query(
      `select type, actor from agent_events where type in ('human_takeover', 'bot_resumed') order by id`,
    );
    expect(events.rows).toEqual([
      { type: 'human_takeover', actor: `human:chatwoot:${HUMAN_ID}` },
      { type: 'bot_resumed', actor: `human:chatwoot:${HUMAN_ID}` },
    ]);
  });

  it('applies a duplicate delivery once', async () => {
    await start({ echoAgent: createEchoAgent() });
    await leadSays(phoneFor(803), 'Oi');
    chatwoot.configure({ deliverTwice: true });
    await chatwoot.humanReply(chatwootConversation().id, 'Assumo daqui');
    await settle();
    const takeovers = await (t as TestService).service.pool.query(
      `select 1 from agent_events where type = 'human_takeover'`,
    );
    expect(takeovers.rowCount).toBe(1);
    const humanMessages = await (t as TestService).service.pool.query(
      `select 1 from messages where author = 'human'`,
    );
    expect(humanMessages.rowCount).toBe(1);
  });

  it('does not send the reply of a turn in flight when a human takes over', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const echo = createEchoAgent({ gate: () => gate });
    await start({ echoAgent: echo });
    const phone = phoneFor(804);
    // A first exchange creates the Chatwoot conversation.
    release();
    await leadSays(phone, 'Oi');
    let releaseSecond: () => void = () => undefined;
    const secondGate = new Promise<void>((resolve) => {
      releaseSecond = resolve;
    });
    const held = createEchoAgent({ gate: () => secondGate });
    echo.agent.reply = held.agent.reply;
    const response = await (t as TestService).service.app.inject({
      method: 'POST',
      url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(zapiText({ phone, text: 'E o preço?' })),
    });
    expect(response.statusCode).toBe(200);
    await waitFor(() => held.calls.length === 1, { what: 'the turn to be generating' });
    await chatwoot.humanReply(chatwootConversation().id, 'Deixa comigo');
    await waitFor(async () => (await paused())?.paused_at !== null, { what: 'the takeover' });
    releaseSecond();
    await settle();
    expect(sentToLead()).toEqual(['Recebi: Oi']);
  });

  it('pauses when the conversation is assigned to an agent and resumes when it is resolved', async () => {
    await start({ echoAgent: createEchoAgent() });
    await leadSays(phoneFor(805), 'Oi');
    await chatwoot.assignToHuman(chatwootConversation().id);
    await settle();
    expect((await paused())?.paused_by).toBe(`human:chatwoot:${HUMAN_ID}`);
    await chatwoot.resolve(chatwootConversation().id);
    await settle();
    expect((await paused())?.paused_at).toBeNull();
  });
});

describe('hot lead handoff', () => {
  it('posts one summary note, labels, opens and assigns, and the bot goes quiet', async () => {
    await start();
    const phone = phoneFor(806);
    await leadSays(
      phone,
      'Sou Carlos da Acme Alimentos, CNPJ 11.222.333/0001-81, precisamos com urgência de uma envasadora, 2 mil frascos por hora, Campinas/SP',
    );
    expect(sentToLead().at(-1)).toContain(HANDOFF_MESSAGE);
    const conversation = chatwootConversation();
    const notes = chatwoot.messages.filter((m) => m.private);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.content).toContain('Qualificação do lead (agente Seleto)');
    expect(conversation.labels).toEqual(expect.arrayContaining(['lead-quente', 'qualificado']));
    expect(conversation.status).toBe('open');
    expect(conversation.assignee_id).toBe(HUMAN_ID);
    expect((await paused())?.paused_by).toBe('bot:handoff');

    await leadSays(phone, 'Obrigado! Aguardo.');
    expect(sentToLead()).toHaveLength(1);
    expect(chatwoot.messages.filter((m) => m.private)).toHaveLength(1);
  });
});

describe('webhook and admin', () => {
  it('refuses a wrong token and a bad signature, and answers unknown events at once', async () => {
    const service = await start({ env: { CHATWOOT_WEBHOOK_SECRET: 'hmac-secret' } });
    const post = (query: string, headers: Record<string, string> = {}) =>
      service.service.app.inject({
        method: 'POST',
        url: `/webhooks/chatwoot${query}`,
        headers: { 'content-type': 'application/json', ...headers },
        payload: JSON.stringify({ event: 'contact_created' }),
      });
    expect((await post('?token=wrong')).statusCode).toBe(401);
    const unsigned = await post(`?token=${WEBHOOK_TOKEN}`);
    expect(unsigned.statusCode).toBe(401);
    expect(unsigned.json().message).toContain('CHATWOOT_WEBHOOK_SECRET');
  });

  it('pauses and resumes a conversation through the admin API without Chatwoot', async () => {
    t = await startTestService({ ...providerEnv('zapi', urls) }, { agent: createEchoAgent().agent });
    await leadSays(phoneFor(807), 'Oi');
    const id = (await t.service.pool.query('select id from conversations')).rows[0]?.id;
    const call = (action: string) =>
      (t as TestService).service.app.inject({
        method: 'POST',
        url: `/admin/conversations/${id}/${action}`,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
    expect((await call('pause')).json()).toMatchObject({ paused: true, changed: true });
    await leadSays(phoneFor(807), 'Alô?');
    expect(sentToLead()).toEqual(['Recebi: Oi']);
    expect((await call('resume')).json()).toMatchObject({ paused: false, changed: true });
    const audit = await t.service.pool.query(
      `select type, actor from agent_events where actor = 'operator' order by id`,
    );
    expect(audit.rows).toEqual([
      { type: 'bot_paused', actor: 'operator' },
      { type: 'bot_resumed', actor: 'operator' },
    ]);
  });
});
