import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metaText, phoneFor, signMeta, ZAPI_INSTANCE_ID, zapiText } from './factories.js';
import { createFakeChatwoot, type FakeChatwoot } from './fakes/chatwoot.js';
import type { FakeWhatsAppProvider } from './fakes/whatsapp-provider.js';
import { createEchoAgent, postZapi, providerEnv, startFakeProvider } from './helpers/pipeline.js';
import { startTestService, type TestService } from './helpers/service.js';
import { isSettled, pipelineState, waitUntilSettled } from './helpers/settled.js';
import { waitFor } from './helpers/wait.js';

/**
 * BOT_ENABLED, BOT_ENABLED_INSTANCES and BOT_ENABLED_ORIGINS through the whole service: every
 * message is stored and handled, only the flagged-on conversations get an answer.
 */
let fake: FakeWhatsAppProvider;
let urls: Awaited<ReturnType<FakeWhatsAppProvider['start']>>;
let chatwoot: FakeChatwoot;
let chatwootUrl: string;
const services: TestService[] = [];

beforeAll(async () => {
  ({ fake, urls } = await startFakeProvider());
  chatwoot = createFakeChatwoot({ token: 'chatwoot-api-token', accountId: 3, inboxId: 7, botUserId: 15 });
  ({ baseUrl: chatwootUrl } = await chatwoot.start());
});
afterEach(async () => {
  for (const t of services.splice(0)) await t.stop();
  fake.reset();
  chatwoot.reset();
});
afterAll(async () => {
  await fake.stop();
  await chatwoot.stop();
});

async function start(
  provider: 'zapi' | 'meta',
  env: Record<string, string>,
  options: { agent?: ReturnType<typeof createEchoAgent>; db?: TestService['db'] } = {},
) {
  const agent = options.agent ?? createEchoAgent();
  const t = await startTestService(
    { ...providerEnv(provider, urls), ...env },
    { agent: agent.agent },
    options.db,
  );
  services.push(t);
  return { t, calls: agent.calls };
}

async function metaSays(t: TestService, body: unknown) {
  const payload = JSON.stringify(body);
  const response = await t.service.app.inject({
    method: 'POST',
    url: '/webhooks/whatsapp/meta',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMeta(payload) },
    payload,
  });
  expect(response.statusCode).toBe(200);
}

function settle(t: TestService) {
  return waitUntilSettled(t.service.pool).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${JSON.stringify(await pipelineState(t.service.pool), null, 1)}`);
  });
}

async function rows<T>(t: TestService, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await t.service.pool.query(sql, params)).rows as T[];
}

/** The flag events of the conversation with this phone. */
function silencedEvents(t: TestService, phone: string) {
  return rows<{ reason: string; messages: number; turnStatus: string }>(
    t,
    `select e.data ->> 'reason' as reason, (e.data ->> 'messages')::int as messages, t.status as "turnStatus"
     from agent_events e join turns t on t.id = e.turn_id
     join conversations c on c.id = e.conversation_id join leads l on l.id = c.lead_id
     where e.type = 'bot_silenced' and l.phone = $1 order by e.id`,
    [phone],
  );
}

async function silencedTurnsMetric(t: TestService): Promise<number> {
  const metric = await t.service.metrics.registry.getSingleMetric('conversation_turns_total')?.get();
  return metric?.values.find((v) => v.labels.outcome === 'silenced')?.value ?? 0;
}

const ZAPI_AD = {
  title: 'Envasadoras Seleto',
  sourceType: 'ad',
  sourceId: '23722824350495506',
  sourceUrl: 'https://fb.me/abc',
};

describe('BOT_ENABLED=false (the kill switch)', () => {
  it('stores, handles and mirrors every message but answers none, without calling the agent', async () => {
    const { t, calls } = await start('zapi', {
      BOT_ENABLED: 'false',
      CHATWOOT_BASE_URL: chatwootUrl,
      CHATWOOT_API_TOKEN: 'chatwoot-api-token',
      CHATWOOT_ACCOUNT_ID: '3',
      CHATWOOT_INBOX_ID: '7',
      CHATWOOT_WEBHOOK_TOKEN: 'chatwoot-webhook-token',
    });
    const phone = phoneFor(901);
    await postZapi(t, zapiText({ phone, text: 'Oi, quero uma rotuladora' }));
    await postZapi(t, zapiText({ phone, text: 'para 2 mil frascos por hora' }));
    await settle(t);

    expect(fake.sends).toEqual([]);
    expect(calls).toEqual([]);
    const stored = await rows<{ text: string; turn_id: string | null }>(
      t,
      `select text, turn_id from messages where author = 'lead' order by id`,
    );
    expect(stored.map((m) => m.text)).toEqual(['Oi, quero uma rotuladora', 'para 2 mil frascos por hora']);
    expect(stored.every((m) => m.turn_id !== null)).toBe(true);
    const turns = await rows<{ status: string }>(t, 'select status from turns');
    expect(turns.map((turn) => turn.status)).toEqual(turns.map(() => 'silenced'));
    const events = await silencedEvents(t, phone);
    expect(events.length).toBe(turns.length);
    expect(events.every((e) => e.reason === 'bot_disabled' && e.turnStatus === 'silenced')).toBe(true);
    expect(events.reduce((sum, e) => sum + e.messages, 0)).toBe(2);
    expect(await silencedTurnsMetric(t)).toBe(turns.length);
    // The SDR still sees the lead in Chatwoot.
    await waitFor(() => chatwoot.messages.length === 2, { what: 'both messages mirrored to Chatwoot' });
    expect(chatwoot.messages.map((m) => m.content)).toEqual([
      'Oi, quero uma rotuladora',
      'para 2 mil frascos por hora',
    ]);
    expect(t.logs.some((line) => String(line.msg).startsWith('BOT_ENABLED=false'))).toBe(true);
  });

  it('leaves unsent a reply written before the switch went off', async () => {
    const { t } = await start('zapi', { BOT_ENABLED: 'false' });
    const phone = phoneFor(902);
    await postZapi(t, zapiText({ phone, text: 'Oi' }));
    await settle(t);
    // A reply the bot wrote before the restart, still waiting for its pacing slot.
    await t.service.pool.query(
      `with turn as (
         insert into turns (conversation_id, status, input_message_ids, reply)
         select id, 'ready', '{}', 'Olá! Como posso ajudar?' from conversations returning id, conversation_id
       )
       insert into outbox (idempotency_key, conversation_id, turn_id, provider, instance_id, chat_id, text)
       select 'turn:' || turn.id || ':0', c.id, turn.id, c.provider, c.instance_id, c.chat_id, 'Olá! Como posso ajudar?'
       from turn join conversations c on c.id = turn.conversation_id`,
    );
    await postZapi(t, zapiText({ phone, text: 'Alguém aí?' }));
    await settle(t);

    expect(fake.sends).toEqual([]);
    expect(await rows(t, 'select status, last_error from outbox')).toEqual([
      { status: 'cancelled', last_error: 'bot silenced: bot_disabled' },
    ]);
    expect(await rows(t, `select data from agent_events where type = 'reply_cancelled'`)).toEqual([
      { data: { parts: 1, reason: 'bot_disabled' } },
    ]);
  });

  it('after re-enabling, answers only the next message, with the whole conversation as context', async () => {
    const off = await start('zapi', { BOT_ENABLED: 'false' });
    const phone = phoneFor(903);
    await postZapi(off.t, zapiText({ phone, text: 'Oi, vocês fazem envasadoras?' }));
    await postZapi(off.t, zapiText({ phone, text: 'Sou da Acme' }));
    await settle(off.t);
    await off.t.service.stop();

    // The same database, restarted with the bot back on (BOT_ENABLED unset: the default).
    const on = await start('zapi', {}, { db: off.t.db });
    services.splice(services.indexOf(off.t), 1);
    expect(await isSettled(on.t.service.pool)).toBe(true);
    await postZapi(on.t, zapiText({ phone, text: 'Alguém pode me ajudar?' }));
    await waitFor(() => fake.sends.length === 1, { what: 'the reply to the new message' });
    await settle(on.t);

    expect(fake.sends.map((send) => send.text)).toEqual(['Recebi: Alguém pode me ajudar?']);
    expect(on.calls).toHaveLength(1);
    const [call] = on.calls;
    expect(call?.newMessages.map((m) => m.text)).toEqual(['Alguém pode me ajudar?']);
    expect(call?.transcript.map((m) => m.text)).toEqual(
      expect.arrayContaining(['Oi, vocês fazem envasadoras?', 'Sou da Acme', 'Alguém pode me ajudar?']),
    );
  });
});

describe('BOT_ENABLED_INSTANCES', () => {
  it('answers on the listed instance and keeps conversations on others stored but silent', async () => {
    const { t, calls } = await start('zapi', {
      BOT_ENABLED_INSTANCES: `other-instance, ${ZAPI_INSTANCE_ID}`,
    });
    const listed = phoneFor(911);
    const unlisted = phoneFor(912);
    await postZapi(t, zapiText({ phone: listed, text: 'Oi' }));
    await postZapi(t, {
      ...zapiText({ phone: unlisted, text: 'Olá' }),
      instanceId: 'AAAABBBBCCCCDDDD0000111122223333',
    });
    await waitFor(() => fake.sends.length === 1, { what: 'the reply on the listed instance' });
    await settle(t);

    expect(fake.sends.map((send) => [send.to, send.text])).toEqual([[listed, 'Recebi: Oi']]);
    expect(calls).toHaveLength(1);
    expect(await silencedEvents(t, unlisted)).toEqual([
      { reason: 'instance_not_enabled', messages: 1, turnStatus: 'silenced' },
    ]);
    expect(await silencedEvents(t, listed)).toEqual([]);
    const stored = await rows(t, `select count(*)::int as n from messages where author = 'lead'`);
    expect(stored).toEqual([{ n: 2 }]);
  });
});

describe('BOT_ENABLED_ORIGINS', () => {
  it('answers a lead whose first message came from a Meta ad, not an organic one', async () => {
    const { t } = await start('meta', { BOT_ENABLED_ORIGINS: 'ad' });
    const fromAd = phoneFor(921);
    const organic = phoneFor(922);
    const adMessage = metaText({ phone: fromAd, text: 'Quero saber mais sobre a envasadora' });
    const [message] = adMessage.entry[0]?.changes[0]?.value.messages ?? [];
    Object.assign(message as object, {
      referral: {
        source_url: 'https://fb.me/3aBcDeFgH',
        source_id: '120208765432100123',
        source_type: 'ad',
        headline: 'Envasadoras Seleto',
        ctwa_clid: 'ARAkLkA8rmlFeiCkt',
      },
    });
    await metaSays(t, adMessage);
    await metaSays(t, metaText({ phone: organic, text: 'Oi' }));
    await waitFor(() => fake.sends.length === 1, { what: 'the reply to the ad lead' });
    await settle(t);
    // The origin is the first message's: the ad lead's next message, without a referral, is answered too.
    await metaSays(t, metaText({ phone: fromAd, text: 'Para 2 mil frascos por hora' }));
    await waitFor(() => fake.sends.length === 2, { what: 'the second reply to the ad lead' });
    await settle(t);

    expect(fake.sends.map((send) => send.to)).toEqual([fromAd, fromAd]);
    const leads = await rows(t, 'select phone, origin, origin_referral from leads order by phone');
    expect(leads).toEqual([
      {
        phone: fromAd,
        origin: 'ad',
        origin_referral: {
          sourceType: 'ad',
          sourceId: '120208765432100123',
          sourceUrl: 'https://fb.me/3aBcDeFgH',
          headline: 'Envasadoras Seleto',
          ctwaClid: 'ARAkLkA8rmlFeiCkt',
        },
      },
      { phone: organic, origin: 'organic', origin_referral: null },
    ]);
    expect(await silencedEvents(t, organic)).toEqual([
      { reason: 'origin_not_enabled', messages: 1, turnStatus: 'silenced' },
    ]);
  });

  it('stamps the Z-API ad origin too, and silences leads older than origin tracking unless listed', async () => {
    const { t } = await start('zapi', { BOT_ENABLED_ORIGINS: 'organic,ad' });
    const fromAd = phoneFor(931);
    const legacy = phoneFor(932);
    await postZapi(t, { ...zapiText({ phone: fromAd, text: 'Vi o anúncio' }), externalAdReply: ZAPI_AD });
    await postZapi(t, zapiText({ phone: legacy, text: 'Oi' }));
    await waitFor(() => fake.sends.length === 2, { what: 'both first replies' });
    await settle(t);
    // A lead created before the origin column existed has none: it reads as 'unknown'.
    await t.service.pool.query('update leads set origin = null where phone = $1', [legacy]);
    await postZapi(t, zapiText({ phone: legacy, text: 'Ainda estão aí?' }));
    await settle(t);

    expect(fake.sends.map((send) => send.to)).toEqual(expect.arrayContaining([fromAd, legacy]));
    expect(fake.sends).toHaveLength(2);
    expect(await rows(t, 'select origin from leads where phone = $1', [fromAd])).toEqual([{ origin: 'ad' }]);
    expect(await silencedEvents(t, legacy)).toEqual([
      { reason: 'origin_not_enabled', messages: 1, turnStatus: 'silenced' },
    ]);
  });
});
