import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { evolutionText, fixture, metaStatus, metaText, phoneFor, signMeta, zapiText } from './factories.js';
import type { FakeWhatsAppProvider } from './fakes/whatsapp-provider.js';
import {
  createEchoAgent,
  EVOLUTION_WEBHOOK_SECRET,
  META_VERIFY_TOKEN,
  providerEnv,
  startFakeProvider,
  ZAPI_WEBHOOK_SECRET,
} from './helpers/pipeline.js';
import { required } from './helpers/required.js';
import { startTestService, type TestService } from './helpers/service.js';
import { pipelineState, waitUntilSettled } from './helpers/settled.js';
import { waitFor } from './helpers/wait.js';

let fake: FakeWhatsAppProvider;
let urls: Awaited<ReturnType<FakeWhatsAppProvider['start']>>;
const services: TestService[] = [];

beforeAll(async () => {
  ({ fake, urls } = await startFakeProvider());
});
afterEach(async () => {
  for (const t of services.splice(0)) await t.stop();
  fake.reset();
});
afterAll(async () => {
  await fake.stop();
});

async function start(
  provider: 'meta' | 'zapi' | 'evolution',
  env: Record<string, string> = {},
  agent = createEchoAgent(),
) {
  const t = await startTestService({ ...providerEnv(provider, urls), ...env }, { agent: agent.agent });
  services.push(t);
  return { t, calls: agent.calls };
}

function post(
  t: TestService,
  provider: string,
  body: unknown,
  headers: Record<string, string> = {},
  query = '',
) {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return t.service.app.inject({
    method: 'POST',
    url: `/webhooks/whatsapp/${provider}${query}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload,
  });
}

const zapiQuery = `?token=${ZAPI_WEBHOOK_SECRET}`;

function postMeta(t: TestService, payload: unknown) {
  const body = Buffer.from(JSON.stringify(payload));
  return post(t, 'meta', body, { 'x-hub-signature-256': signMeta(body) });
}

async function count(t: TestService, sql: string, params: unknown[] = []): Promise<number> {
  const result = await t.service.pool.query<{ n: number }>(
    `select count(*)::int as n from (${sql}) q`,
    params,
  );
  return result.rows[0]?.n ?? 0;
}

describe('webhook authentication and bad input', () => {
  it('answers Meta verification handshake with the challenge, and 403 with a wrong token', async () => {
    const { t } = await start('meta');
    const ok = await t.service.app.inject({
      method: 'GET',
      url: `/webhooks/whatsapp/meta?hub.mode=subscribe&hub.verify_token=${META_VERIFY_TOKEN}&hub.challenge=12345`,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('12345');
    const wrong = await t.service.app.inject({
      method: 'GET',
      url: '/webhooks/whatsapp/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=12345',
    });
    expect(wrong.statusCode).toBe(403);
  });

  it('rejects a missing or wrong signature or token with 401 and records nothing', async () => {
    const { t } = await start('meta');
    const body = fixture('meta', 'text');
    expect((await post(t, 'meta', body)).statusCode).toBe(401);
    const wrong = await post(t, 'meta', body, { 'x-hub-signature-256': signMeta(body, 'other-secret') });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(
      (await post(t, 'zapi', zapiText({ phone: phoneFor(1), text: 'oi' }), {}, '?token=nope')).statusCode,
    ).toBe(401);
    const evolution = await post(t, 'evolution', evolutionText({ phone: phoneFor(1), text: 'oi' }), {
      authorization: 'Bearer nope',
    });
    expect(evolution.statusCode).toBe(401);
    expect(await count(t, 'select 1 from inbound_events')).toBe(0);
  });

  it('answers 400 for malformed JSON, 404 for an unknown provider, 413 for a body over 1 MiB', async () => {
    const { t } = await start('zapi');
    const malformed = await post(t, 'zapi', '{"type":', {}, zapiQuery);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('BODY_INVALID_JSON');
    const unknown = await post(t, 'telegram', {}, {}, zapiQuery);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('PROVIDER_UNKNOWN');
    const big = await post(t, 'zapi', { blob: 'x'.repeat(1024 * 1024) }, {}, zapiQuery);
    expect(big.statusCode).toBe(413);
  });

  it('keeps a message with characters Postgres cannot store as text (NUL), as U+FFFD', async () => {
    const { t } = await start('zapi');
    const body = zapiText({ phone: phoneFor(1), text: 'oi\u0000 \ud83d tudo bem?' });
    const response = await post(t, 'zapi', body, {}, zapiQuery);
    expect(response.statusCode).toBe(200);
    await waitFor(() => fake.sends.length === 1, { what: 'the reply' });
    const stored = await t.service.pool.query<{ text: string; raw: string }>(
      `select m.text, e.raw::text as raw from messages m join inbound_events e on e.message_id = m.provider_message_id`,
    );
    expect(stored.rows[0]?.text).toBe('oi\uFFFD \uFFFD tudo bem?');
    // The audit copy keeps the body exactly as it came.
    expect(stored.rows[0]?.raw).toContain('oi\\u0000 \\ud83d');
  });

  it('records valid JSON of an unknown shape as ignored and answers 200', async () => {
    const { t } = await start('zapi');
    const response = await post(t, 'zapi', { hello: 'world' }, {}, zapiQuery);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'accepted', ignored: 1 });
    expect(
      await count(
        t,
        `select 1 from inbound_events where event_type = 'ignored' and ignore_reason = 'unknown_shape'`,
      ),
    ).toBe(1);
  });
});

describe('fixtures', () => {
  it.each([
    ['meta', 'text', 'message'],
    ['meta', 'audio', 'message'],
    ['meta', 'image_caption', 'message'],
    ['meta', 'button_reply', 'message'],
    ['meta', 'status_read', 'status'],
    ['meta', 'status_failed', 'status'],
    ['zapi', 'text', 'message'],
    ['zapi', 'audio', 'message'],
    ['zapi', 'from_me', 'human_echo'],
    ['zapi', 'group', 'ignored'],
    ['evolution', 'text', 'message'],
    ['evolution', 'extended_text', 'message'],
    ['evolution', 'audio', 'message'],
    ['evolution', 'from_me', 'human_echo'],
    ['evolution', 'group', 'ignored'],
  ] as const)('accepts %s/%s and records it as %s', async (provider, name, eventType) => {
    const { t } = await start(provider);
    const body = fixture(provider, name);
    const headers: Record<string, string> =
      provider === 'meta' ? { 'x-hub-signature-256': signMeta(body) } : {};
    const query =
      provider === 'zapi' ? zapiQuery : provider === 'evolution' ? `?token=${EVOLUTION_WEBHOOK_SECRET}` : '';
    const response = await post(t, provider, body, headers, query);
    expect(response.statusCode).toBe(200);
    await waitFor(
      async () =>
        (await count(t, 'select 1 from inbound_events where processed_at is not null and event_type = $1', [
          eventType,
        ])) === 1,
      { what: `the ${name} event processed as ${eventType}` },
    );
    // A redelivery of the same body changes nothing.
    const again = await post(t, provider, body, headers, query);
    expect(again.json().duplicates).toBe(again.json().received);
    expect(await count(t, 'select 1 from inbound_events')).toBe(1);
  });
});

describe('replies', () => {
  it('answers the same message delivered 5 times concurrently exactly once', async () => {
    const { t } = await start('zapi');
    const body = zapiText({ phone: phoneFor(2), text: 'Quero uma envasadora' });
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => post(t, 'zapi', body, {}, zapiQuery)),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    await waitFor(() => fake.sends.length === 1, { what: 'the reply' });
    await waitUntilSettled(t.service.pool);
    expect(fake.sends).toHaveLength(1);
    expect(fake.sends[0]).toMatchObject({
      provider: 'zapi',
      to: phoneFor(2),
      text: 'Recebi: Quero uma envasadora',
    });
  });

  it('answers a burst of 4 messages within the window in one turn and one reply', async () => {
    const { t, calls } = await start('evolution', { MESSAGE_BUFFER_MS: '1500' });
    const query = `?token=${EVOLUTION_WEBHOOK_SECRET}`;
    for (const text of ['Oi', 'sou da Acme', 'queremos uma rotuladora', 'para 2 mil frascos por hora']) {
      await post(t, 'evolution', evolutionText({ phone: phoneFor(3), text }), {}, query);
    }
    await waitFor(() => fake.sends.length === 1, { what: 'the reply' });
    await waitUntilSettled(t.service.pool);
    expect(calls).toHaveLength(1);
    expect(fake.sends).toHaveLength(1);
    expect(fake.sends[0]?.text).toBe(
      'Recebi: Oi | sou da Acme | queremos uma rotuladora | para 2 mil frascos por hora',
    );
    expect(fake.sends[0]?.to).toBe(`${phoneFor(3)}@s.whatsapp.net`);
  });

  it('reads a burst delivered out of order in the order the lead wrote it', async () => {
    const { t, calls } = await start('zapi', { MESSAGE_BUFFER_MS: '1500' });
    const writtenAt = Date.now() - 10_000;
    const burst = ['Oi', 'sou da Acme', 'queremos uma rotuladora'].map((text, i) => ({
      ...zapiText({ phone: phoneFor(5), text }),
      momment: writtenAt + i * 1000,
    }));
    for (const message of [burst[2], burst[0], burst[1]]) await post(t, 'zapi', message, {}, zapiQuery);
    await waitFor(() => calls.length === 1, { what: 'the turn' });
    await waitUntilSettled(t.service.pool);
    expect(calls[0]?.newMessages.map((m) => m.text)).toEqual([
      'Oi',
      'sou da Acme',
      'queremos uma rotuladora',
    ]);
  });

  it('folds a message that arrives while the reply is being generated into a fresh turn', async () => {
    let release: () => void = () => undefined;
    let gated = true;
    const agent = createEchoAgent({
      gate: () => (gated ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve()),
    });
    const { t, calls } = await start('zapi', {}, agent);
    await post(t, 'zapi', zapiText({ phone: phoneFor(4), text: 'primeira' }), {}, zapiQuery);
    await waitFor(() => calls.length === 1, { what: 'the first turn to start generating' });
    await post(t, 'zapi', zapiText({ phone: phoneFor(4), text: 'segunda' }), {}, zapiQuery);
    await waitFor(async () => (await count(t, `select 1 from messages where text = 'segunda'`)) === 1, {
      what: 'the second message stored',
    });
    gated = false;
    release();
    await waitFor(() => fake.sends.length === 1, { what: 'the reply' });
    await waitUntilSettled(t.service.pool);
    expect(fake.sends.map((s) => s.text)).toEqual(['Recebi: primeira | segunda']);
    expect(await count(t, `select 1 from turns where status = 'superseded'`)).toBe(1);
  });

  it('delivers the reply after the provider fails with 500, 429 and a timeout', async () => {
    const { t } = await start('meta', { WHATSAPP_SEND_TIMEOUT_MS: '1500' });
    fake.fail(1, { status: 500 });
    fake.fail(1, { status: 429, retryAfterSeconds: 1 });
    fake.fail(1, { delayMs: 3000 });
    const body = Buffer.from(JSON.stringify(metaText({ phone: phoneFor(5), text: 'Olá' })));
    await post(t, 'meta', body, { 'x-hub-signature-256': signMeta(body) });
    await waitFor(async () => (await count(t, `select 1 from outbox where status = 'sent'`)) === 1, {
      what: 'the reply sent after retries',
      timeoutMs: 30_000,
    });
    const deliveredToLead = fake.sends.filter((s) => s.to === phoneFor(5));
    // The timed-out call was still done by the provider (it answered late) and no receipt came
    // to say so: without one, the retry may deliver it twice.
    expect(deliveredToLead.length).toBeGreaterThanOrEqual(1);
    expect(deliveredToLead.length).toBeLessThanOrEqual(2);
  }, 40_000);

  it('dead-letters a reply the provider refuses for good, with its error', async () => {
    const { t } = await start('evolution');
    fake.notOnWhatsApp(phoneFor(6));
    await post(
      t,
      'evolution',
      evolutionText({ phone: phoneFor(6), text: 'Oi' }),
      {},
      `?token=${EVOLUTION_WEBHOOK_SECRET}`,
    );
    const letter = await waitFor(
      async () =>
        (await t.service.pool.query('select queue, error from dead_letters')).rows[0] as {
          queue: string;
          error: string;
        },
      { what: 'the dead letter' },
    );
    expect(letter.queue).toBe('conversation-turn');
    expect(letter.error).toMatch(/not on WhatsApp/i);
    expect(await count(t, `select 1 from outbox where status = 'failed'`)).toBe(1);
    expect(await count(t, `select 1 from agent_events where type = 'send_failed'`)).toBe(1);
    // The refused part closes its turn, so the conversation's next turn is not stuck behind it.
    expect(await count(t, `select 1 from turns where status = 'failed'`)).toBe(1);
  });

  it('updates the delivery status of our reply from Meta receipts, never backwards', async () => {
    const { t } = await start('meta');
    const body = Buffer.from(JSON.stringify(metaText({ phone: phoneFor(7), text: 'Olá' })));
    await post(t, 'meta', body, { 'x-hub-signature-256': signMeta(body) });
    await waitFor(() => fake.sends.length === 1, { what: 'the reply' });
    const wamid = fake.sends[0]?.providerMessageId as string;
    for (const status of ['read', 'delivered']) {
      const receipt = Buffer.from(
        JSON.stringify(metaStatus({ providerMessageId: wamid, status, phone: phoneFor(7) })),
      );
      expect((await post(t, 'meta', receipt, { 'x-hub-signature-256': signMeta(receipt) })).statusCode).toBe(
        200,
      );
    }
    await waitFor(
      async () =>
        (await t.service.pool.query(`select delivery_status from outbox`)).rows[0]?.delivery_status ===
        'read',
      { what: 'the read receipt applied' },
    );
    await waitFor(
      async () => (await count(t, 'select 1 from inbound_events where processed_at is null')) === 0,
    );
    expect((await t.service.pool.query(`select delivery_status from outbox`)).rows[0]?.delivery_status).toBe(
      'read',
    );
  });
});

describe('Meta receipts of sends whose answer was lost', () => {
  it('takes the receipt of a send that timed out as ours: marked sent, never sent twice', async () => {
    const { t } = await start('meta', { WHATSAPP_SEND_TIMEOUT_MS: '1000' });
    // Meta takes the message but answers after the client gave up.
    fake.fail(1, { delayMs: 1500 });
    await postMeta(t, metaText({ phone: phoneFor(11), text: 'um' }));
    await waitFor(
      async () => (await count(t, `select 1 from outbox where status = 'pending' and attempts = 1`)) === 1,
      { what: 'the part released after the timeout' },
    );
    await waitFor(() => fake.sends.length === 1, { what: 'Meta to take the message' });
    const taken = required(fake.sends[0], 'the send Meta took');
    const part = (await t.service.pool.query<{ id: string }>(`select id from outbox`)).rows[0];
    expect(taken.reference).toBe(part?.id);

    await postMeta(
      t,
      metaStatus({
        providerMessageId: taken.providerMessageId,
        status: 'sent',
        phone: phoneFor(11),
        reference: taken.reference,
      }),
    );
    await waitFor(async () => (await count(t, `select 1 from outbox where status = 'sent'`)) === 1, {
      what: 'the receipt to mark the part sent',
    });
    await postMeta(t, metaText({ phone: phoneFor(11), text: 'dois' }));
    await waitFor(() => fake.sends.length === 2, { what: 'the second reply', timeoutMs: 20_000 });
    await waitUntilSettled(t.service.pool);

    expect(fake.sends.map((s) => s.text)).toEqual(['Recebi: um', 'Recebi: dois']);
    const bot = await t.service.pool.query<{ text: string; provider_message_id: string }>(
      `select text, provider_message_id from messages where author = 'bot' order by created_at`,
    );
    expect(bot.rows).toEqual([
      { text: 'Recebi: um', provider_message_id: taken.providerMessageId },
      { text: 'Recebi: dois', provider_message_id: fake.sends[1]?.providerMessageId },
    ]);
  }, 30_000);

  it('turns an uncertain part sent when a late receipt names it, and ignores a reference not ours', async () => {
    const { t } = await start('meta');
    await postMeta(t, metaText({ phone: phoneFor(12), text: 'um' }));
    await waitFor(() => fake.sends.length === 1, { what: 'the reply' });
    await waitUntilSettled(t.service.pool);
    const sent = required(fake.sends[0], 'the reply');
    // What a worker dying during the provider call leaves once a later run has reconciled it.
    await t.service.pool.query(
      `update outbox set status = 'uncertain', provider_message_id = null, sent_at = null`,
    );
    await t.service.pool.query(`delete from messages where author = 'bot'`);

    for (const reference of ['not-a-uuid', crypto.randomUUID()]) {
      await postMeta(
        t,
        metaStatus({
          providerMessageId: `wamid.other-${reference}`,
          status: 'sent',
          phone: phoneFor(12),
          reference,
        }),
      );
    }
    await postMeta(
      t,
      metaStatus({
        providerMessageId: sent.providerMessageId,
        status: 'delivered',
        phone: phoneFor(12),
        reference: sent.reference,
      }),
    );
    await waitFor(
      async () => (await count(t, 'select 1 from inbound_events where processed_at is null')) === 0,
      { what: 'the receipts applied' },
    );

    const outbox = await t.service.pool.query(
      `select status, provider_message_id, delivery_status from outbox`,
    );
    expect(outbox.rows).toEqual([
      { status: 'sent', provider_message_id: sent.providerMessageId, delivery_status: 'delivered' },
    ]);
    expect(await count(t, `select 1 from messages where author = 'bot' and text = 'Recebi: um'`)).toBe(1);
    expect(await count(t, `select 1 from dead_letters`)).toBe(0);
    expect(fake.sends).toHaveLength(1);
  });
});

describe('human echoes', () => {
  it('recognises our own echoed replies and keeps answering', async () => {
    const { t } = await start('zapi');
    fake.echoTo(`http://127.0.0.1:0/unused`, 'zapi');
    await post(t, 'zapi', zapiText({ phone: phoneFor(8), text: 'um' }), {}, zapiQuery);
    await waitFor(() => fake.sends.length === 1, { what: 'the first reply' });
    const ours = fake.sends[0];
    // Z-API echoes our send back with fromMe: true and the id it returned.
    await post(
      t,
      'zapi',
      zapiText({
        phone: phoneFor(8),
        text: ours?.text ?? '',
        messageId: ours?.providerMessageId,
        fromMe: true,
      }),
      {},
      zapiQuery,
    );
    await post(t, 'zapi', zapiText({ phone: phoneFor(8), text: 'dois' }), {}, zapiQuery);
    await waitFor(() => fake.sends.length === 2, {
      what: 'the second reply',
      diagnose: () => pipelineState(t.service.pool),
    });
    await waitUntilSettled(t.service.pool);
    expect(await count(t, `select 1 from inbound_events where event_type = 'echo'`)).toBe(1);
    expect(await count(t, `select 1 from conversations where paused_at is not null`)).toBe(0);
    // Whether the echo or the send's response came first, the reply is in the transcript once.
    expect(await count(t, `select 1 from messages where author = 'bot'`)).toBe(2);
  });

  it('recognises an echo that arrives while the sender is still recording the part', async () => {
    const { t } = await start('zapi');
    await post(t, 'zapi', zapiText({ phone: phoneFor(11), text: 'um' }), {}, zapiQuery);
    await waitFor(async () => (await count(t, `select 1 from outbox where status = 'sent'`)) === 1, {
      what: 'the reply sent',
    });
    const ours = fake.sends[0];
    // The sender's transaction holds the part's row, as it does between send and commit.
    const sender = await t.service.pool.connect();
    try {
      await sender.query('begin');
      await sender.query('select 1 from outbox for update');
      await post(
        t,
        'zapi',
        zapiText({
          phone: phoneFor(11),
          text: ours?.text ?? '',
          messageId: ours?.providerMessageId,
          fromMe: true,
        }),
        {},
        zapiQuery,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await sender.query('commit');
    } finally {
      sender.release();
    }
    await waitFor(
      async () => (await count(t, 'select 1 from inbound_events where processed_at is null')) === 0,
      {
        what: 'the echo applied',
      },
    );
    expect(await count(t, `select 1 from inbound_events where event_type = 'echo'`)).toBe(1);
    expect(await count(t, `select 1 from conversations where paused_at is not null`)).toBe(0);
  });

  it('takes the echo of a send that failed in transit as ours: no takeover, never sent twice', async () => {
    const { t } = await start('zapi');
    // Z-API takes the message, then the connection drops: the part goes back to pending.
    fake.fail(1, { dropAfterAccept: true });
    await post(t, 'zapi', zapiText({ phone: phoneFor(10), text: 'um' }), {}, zapiQuery);
    await waitFor(
      async () => (await count(t, `select 1 from outbox where status = 'pending' and attempts = 1`)) === 1,
      { what: 'the part released after the dropped connection' },
    );
    const ours = fake.sends[0];
    await post(
      t,
      'zapi',
      zapiText({
        phone: phoneFor(10),
        text: ours?.text ?? '',
        messageId: ours?.providerMessageId,
        fromMe: true,
      }),
      {},
      zapiQuery,
    );
    await post(t, 'zapi', zapiText({ phone: phoneFor(10), text: 'dois' }), {}, zapiQuery);
    await waitFor(() => fake.sends.length === 2, { what: 'the second reply', timeoutMs: 20_000 });
    await waitUntilSettled(t.service.pool);
    expect(fake.sends.map((s) => s.text)).toEqual(['Recebi: um', 'Recebi: dois']);
    expect(await count(t, `select 1 from conversations where paused_at is not null`)).toBe(0);
    expect(await count(t, `select 1 from messages where author = 'bot'`)).toBe(2);
  }, 30_000);

  it('pauses the bot when a human answers from the phone, and stays silent afterwards', async () => {
    const { t } = await start('zapi');
    await post(
      t,
      'zapi',
      zapiText({ phone: phoneFor(9), text: 'Bom dia, falo com a Seleto; sou humano', fromMe: true }),
      {},
      zapiQuery,
    );
    await waitFor(
      async () => (await count(t, `select 1 from conversations where paused_at is not null`)) === 1,
      {
        what: 'the takeover',
      },
    );
    await post(t, 'zapi', zapiText({ phone: phoneFor(9), text: 'Obrigado!' }), {}, zapiQuery);
    await waitFor(async () => (await count(t, `select 1 from turns where status = 'silenced'`)) === 1, {
      what: 'the silenced turn',
    });
    expect(fake.sends).toHaveLength(0);
    expect(await count(t, `select 1 from messages where text = 'Obrigado!'`)).toBe(1);
    expect(
      await count(t, `select 1 from agent_events where type = 'human_takeover' and actor = 'human:phone'`),
    ).toBe(1);
  });
});

describe('phone identity', () => {
  it('keeps one conversation per lead across @lid, JIDs, the ninth digit and providers', async () => {
    const { t } = await start('zapi');
    const lid = '148302985420117@lid';
    // 1. Z-API hides the number: only the @lid alias is known.
    await post(t, 'zapi', { ...zapiText({ phone: lid, text: 'um' }), chatLid: lid }, {}, zapiQuery);
    // 2. Evolution carries both: the @lid chat and the phone JID without the ninth digit.
    const evolution = evolutionText({ phone: '553187650080', text: 'dois' });
    evolution.data.key = {
      ...evolution.data.key,
      remoteJid: lid,
      remoteJidAlt: '553187650080@s.whatsapp.net',
    } as typeof evolution.data.key;
    await post(t, 'evolution', evolution, {}, `?token=${EVOLUTION_WEBHOOK_SECRET}`);
    // 3. Meta gives the number with the ninth digit.
    const meta = Buffer.from(JSON.stringify(metaText({ phone: '5531987650080', text: 'três' })));
    await post(t, 'meta', meta, { 'x-hub-signature-256': signMeta(meta) });

    await waitFor(async () => (await count(t, 'select 1 from messages')) >= 3, {
      what: 'three messages stored',
    });
    expect(await count(t, 'select 1 from conversations')).toBe(1);
    expect(await count(t, 'select 1 from leads')).toBe(1);
    const aliases = await t.service.pool.query('select alias from contact_aliases order by alias');
    expect(aliases.rows.map((r) => r.alias)).toEqual(['lid:148302985420117@lid', 'phone:5531987650080']);
    const lead = await t.service.pool.query('select phone from leads');
    expect(lead.rows[0]?.phone).toMatch(/^55319?87650080$/);
  });
});

describe('turn jobs', () => {
  it('drops a turn for a conversation that does not exist instead of rescheduling it forever', async () => {
    const { t } = await start('zapi');
    const conversationId = '00000000-0000-4000-8000-0000000000aa';
    const id = await t.service.queue.send(
      'conversation-turn',
      { conversationId },
      { singletonKey: conversationId },
    );
    await waitFor(
      async () =>
        (await t.service.pool.query(`select 1 from pgboss.job where id = $1 and state = 'completed'`, [id]))
          .rowCount === 1,
      { what: 'the job to complete' },
    );
    await waitUntilSettled(t.service.pool);
    const waiting = await t.service.pool.query(
      `select 1 from pgboss.job where name = 'conversation-turn' and state in ('created', 'retry', 'active')`,
    );
    expect(waiting.rowCount).toBe(0);
  });
});
