import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChatwootClientSettings,
  type ChatwootMetrics,
  createChatwootClient,
} from '../src/integrations/chatwoot/client.js';
import type { ChatwootClient } from '../src/integrations/chatwoot/types.js';
import { createFakeChatwoot, type FakeChatwoot } from './fakes/chatwoot.js';
import { upstreamFailure } from './helpers/failure.js';
import { captureLogs } from './helpers/logs.js';
import { closeServer, listenOnLoopback } from './helpers/loopback-server.js';

const TOKEN = 'cw-user-token-4f9a8b7c6d5e';
const BOT_TOKEN = 'cw-agent-bot-token-1a2b3c';
const ACCOUNT = 3;
const INBOX = 7;
const BOT_USER = 15;
const HUMAN = 12;
const LEAD = '5511987650001';
// Tests go fast: short timeout, two quick retries, a breaker that stays open for the test.
const FAST = { timeoutMs: 1_000, retries: 2, breakerResetMs: 60_000 };

type Received = { url: string; headers: IncomingHttpHeaders; raw: string; body: Record<string, unknown> };

let fake: FakeChatwoot;
let baseUrl: string;
const clients: ChatwootClient[] = [];
const received: Received[] = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    received.push({ url: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) });
    res.writeHead(200).end('{"ok":true}');
  });
});
let webhookUrl: string;

beforeAll(async () => {
  fake = createFakeChatwoot({
    token: TOKEN,
    accountId: ACCOUNT,
    inboxId: INBOX,
    botUserId: BOT_USER,
    agentBot: { id: 2, token: BOT_TOKEN },
  });
  ({ baseUrl } = await fake.start());
  webhookUrl = `http://127.0.0.1:${await listenOnLoopback(receiver)}/webhooks/chatwoot?token=wh-secret-token`;
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await fake.stop();
  await closeServer(receiver);
});
beforeEach(() => {
  fake.reset();
  received.length = 0;
});

function chatwoot(
  overrides: Partial<ChatwootClientSettings> = {},
  log = captureLogs().log,
  metrics?: ChatwootMetrics,
) {
  const settings = { baseUrl, apiToken: TOKEN, accountId: ACCOUNT, inboxId: INBOX, ...FAST, ...overrides };
  const client = createChatwootClient(settings, log, metrics);
  clients.push(client);
  return client;
}

const calls = (method: string, path: string) =>
  fake.requests.filter((r) => r.method === method && r.path === `/api/v1/accounts/${ACCOUNT}${path}`);

async function leadConversation(client: ChatwootClient) {
  const contact = await client.createContact({
    phone: LEAD,
    name: 'Mariana',
    identifier: `${LEAD}@s.whatsapp.net`,
  });
  return client.createConversation({ contactId: contact.id, sourceId: contact.sourceId });
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./fixtures/chatwoot/${name}.json`, import.meta.url), 'utf8'));
}

/** The key sets of the parts of a webhook body the service reads. */
function shape(body: Record<string, unknown>) {
  const keys = (value: unknown) => Object.keys((value ?? {}) as object).sort();
  const conversation = (body.conversation ?? body) as Record<string, unknown>;
  const [last] = conversation.messages as unknown[];
  return {
    top: keys(body),
    conversation: keys(body.conversation),
    meta: keys(conversation.meta),
    contactInbox: keys(conversation.contact_inbox),
    lastMessage: keys(last),
    sender: keys(body.sender),
  };
}

describe('Chatwoot client: contacts', () => {
  it('creates a contact with +digits in our inbox, then finds it by phone', async () => {
    const client = chatwoot();
    const created = await client.createContact({
      phone: LEAD,
      name: 'Mariana',
      identifier: `${LEAD}@s.whatsapp.net`,
    });
    expect(calls('POST', '/contacts')[0]?.body).toEqual({
      inbox_id: INBOX,
      name: 'Mariana',
      phone_number: `+${LEAD}`,
      identifier: `${LEAD}@s.whatsapp.net`,
    });
    expect(calls('POST', '/contacts')[0]?.headers.api_access_token).toBe(TOKEN);
    const [stored] = fake.contacts;
    expect(created).toEqual({ id: stored?.id, sourceId: stored?.contact_inboxes[0]?.source_id });
    expect(created.sourceId).toMatch(/^[0-9a-f-]{36}$/);

    expect(await client.findContact(`+55 (11) 98765-0001`)).toEqual(created);
    expect(calls('POST', '/contacts/filter').at(-1)?.body).toEqual({
      payload: [
        {
          attribute_key: 'phone_number',
          filter_operator: 'equal_to',
          values: [`+${LEAD}`],
          query_operator: 'OR',
        },
        {
          attribute_key: 'phone_number',
          filter_operator: 'equal_to',
          values: ['+551187650001'],
          query_operator: null,
        },
      ],
    });
    expect(calls('GET', '/contacts/search')).toHaveLength(0);
  });

  it('finds a contact across the 9th digit, either way round', async () => {
    const short = fake.addContact({ phone: '+553187650080', name: 'Sem nove' });
    const long = fake.addContact({ phone: '+5521987650002', name: 'Com nove' });
    const client = chatwoot();
    expect(await client.findContact('5531987650080')).toMatchObject({ id: short.id });
    expect(await client.findContact('552187650002')).toMatchObject({ id: long.id });
    expect(await client.findContact('5511987654321')).toBeNull();
    // A miss also tries search, with the last 8 digits both variants share.
    expect(calls('GET', '/contacts/search').map((r) => r.query)).toEqual([{ q: '87654321' }]);
  });

  it('falls back to search when the filter endpoint is not there, matching digits itself', async () => {
    const contact = fake.addContact({ phone: '+553187650080', name: 'Sem nove' });
    fake.addContact({ phone: '+5531987650081', name: 'Vizinho' });
    fake.fail(1, { status: 404, body: { error: 'Resource could not be found' } });
    expect(await chatwoot().findContact('5531987650080')).toMatchObject({ id: contact.id });
    expect(calls('GET', '/contacts/search')).toHaveLength(1);
  });

  it('reuses the contact when create answers 422 for a duplicate', async () => {
    const existing = fake.addContact({ phone: `+${LEAD}`, name: 'Mariana' });
    const logs = captureLogs();
    const contact = await chatwoot({}, logs.log).createContact({ phone: LEAD, name: null });
    expect(contact).toEqual({ id: existing.id, sourceId: existing.contact_inboxes[0]?.source_id });
    expect(fake.contacts).toHaveLength(1);
    expect(logs.lines.some((line) => line.msg === 'Chatwoot contact already existed: reused')).toBe(true);
  });

  it('names a contact after its phone when the lead has no name', async () => {
    await chatwoot().createContact({ phone: '5511900000000', name: '  ' });
    expect(fake.contacts[0]).toMatchObject({ name: '+5511900000000', phone_number: '+5511900000000' });
  });
});

describe('Chatwoot client: conversations and messages', () => {
  it('finds the newest open conversation in our inbox only', async () => {
    const client = chatwoot();
    const { id: contactId } = fake.addContact({ phone: `+${LEAD}` });
    expect(await client.findOpenConversation(contactId)).toBeNull();
    fake.addConversation({ contactId, status: 'resolved' });
    fake.addConversation({ contactId, inboxId: 99 });
    expect(await client.findOpenConversation(contactId)).toBeNull();
    fake.addConversation({ contactId, status: 'pending' });
    const newest = fake.addConversation({ contactId, status: 'pending' });
    fake.addConversation({ contactId, status: 'resolved' });
    expect(await client.findOpenConversation(contactId)).toEqual({ id: newest.id, status: 'pending' });
  });

  it('creates a conversation with the contact inbox source id and the status asked', async () => {
    const client = chatwoot();
    const contact = await client.createContact({ phone: LEAD, name: 'Mariana' });
    const pending = await client.createConversation({
      contactId: contact.id,
      sourceId: contact.sourceId,
      status: 'pending',
    });
    expect(calls('POST', '/conversations')[0]?.body).toEqual({
      inbox_id: INBOX,
      contact_id: contact.id,
      status: 'pending',
      source_id: contact.sourceId,
    });
    expect(pending).toEqual({ id: 482, status: 'pending' });
    const open = await client.createConversation({ contactId: contact.id, sourceId: null });
    expect(calls('POST', '/conversations')[1]?.body).toEqual({
      inbox_id: INBOX,
      contact_id: contact.id,
      status: 'open',
    });
    expect(open).toEqual({ id: 483, status: 'open' });
  });

  it('mirrors the lead as incoming, the bot as outgoing and notes as private', async () => {
    const client = chatwoot();
    const { id } = await leadConversation(client);
    const incoming = await client.createMessage(id, {
      content: 'Oi, vocês fabricam misturadores?',
      type: 'incoming',
    });
    const outgoing = await client.createMessage(id, {
      content: 'Fabricamos, sim!',
      type: 'outgoing',
      echoId: 'turn-1',
    });
    const note = await client.createMessage(id, { content: 'Lead quente', type: 'outgoing', private: true });
    expect(calls('POST', `/conversations/${id}/messages`).map((r) => r.body)).toEqual([
      { content: 'Oi, vocês fabricam misturadores?', message_type: 'incoming', private: false },
      { content: 'Fabricamos, sim!', message_type: 'outgoing', private: false, echo_id: 'turn-1' },
      { content: 'Lead quente', message_type: 'outgoing', private: true },
    ]);
    expect(
      fake.messages.map(({ id: messageId, message_type, private: isPrivate, sender }) => ({
        messageId,
        message_type,
        isPrivate,
        sender,
      })),
    ).toEqual([
      {
        messageId: incoming.id,
        message_type: 'incoming',
        isPrivate: false,
        sender: { type: 'contact', id: fake.contacts[0]?.id },
      },
      {
        messageId: outgoing.id,
        message_type: 'outgoing',
        isPrivate: false,
        sender: { type: 'user', id: BOT_USER },
      },
      {
        messageId: note.id,
        message_type: 'outgoing',
        isPrivate: true,
        sender: { type: 'user', id: BOT_USER },
      },
    ]);
  });

  it('merges labels with the ones already there instead of replacing them', async () => {
    const client = chatwoot();
    const { id } = await leadConversation(client);
    await client.addLabels(id, ['lead-whatsapp']);
    await client.addLabels(id, ['qualificado', 'lead-whatsapp']);
    expect(fake.conversation(id).labels).toEqual(['lead-whatsapp', 'qualificado']);
    await client.addLabels(id, ['qualificado']);
    expect(calls('POST', `/conversations/${id}/labels`).map((r) => r.body)).toEqual([
      { labels: ['lead-whatsapp'] },
      { labels: ['lead-whatsapp', 'qualificado'] },
    ]);
  });

  it('sets the status and assigns the team before the agent', async () => {
    const client = chatwoot();
    const { id } = await leadConversation(client);
    await client.setStatus(id, 'pending');
    expect(calls('POST', `/conversations/${id}/toggle_status`)[0]?.body).toEqual({ status: 'pending' });
    expect(fake.conversation(id).status).toBe('pending');
    await client.assign(id, { assigneeId: HUMAN, teamId: 4 });
    expect(calls('POST', `/conversations/${id}/assignments`).map((r) => r.body)).toEqual([
      { team_id: 4 },
      { assignee_id: HUMAN },
    ]);
    expect(fake.conversation(id)).toMatchObject({ assignee_id: HUMAN, team_id: 4 });
  });
});

describe('Chatwoot client: failures', () => {
  it('does not retry a rejected token and names CHATWOOT_API_TOKEN', async () => {
    const error = await upstreamFailure(chatwoot({ apiToken: 'wrong' }).findOpenConversation(1));
    expect(error).toMatchObject({ retryable: false, upstreamStatus: 401 });
    expect(error.message).toContain('Invalid Access Token');
    expect(error.message).toContain('CHATWOOT_API_TOKEN');
    expect(fake.requests).toHaveLength(1);
  });

  it('says so when the token is an Agent Bot token refused on contacts', async () => {
    const error = await upstreamFailure(chatwoot({ apiToken: BOT_TOKEN }).findContact(LEAD));
    expect(error.upstreamStatus).toBe(401);
    expect(error.message).toContain('Agent Bot token');
  });

  it('retries a 5xx on reads and on a create that surely did not happen', async () => {
    const client = chatwoot();
    const { id } = await leadConversation(client);
    fake.fail(2, { status: 502 });
    expect(await client.addLabels(id, ['lead-whatsapp'])).toBeUndefined();
    expect(calls('GET', `/conversations/${id}/labels`)).toHaveLength(3);
    fake.fail(1, { status: 503 });
    await client.createMessage(id, { content: 'Olá', type: 'outgoing' });
    expect(calls('POST', `/conversations/${id}/messages`)).toHaveLength(2);
    expect(fake.messages).toHaveLength(1);
  });

  it('does not repeat a message create whose answer was lost', async () => {
    const client = chatwoot();
    const { id } = await leadConversation(client);
    fake.fail(1, { dropAfterCreate: true });
    const error = await upstreamFailure(client.createMessage(id, { content: 'Olá', type: 'outgoing' }));
    expect(error).toMatchObject({ retryable: true, mayHaveSucceeded: true });
    expect(calls('POST', `/conversations/${id}/messages`)).toHaveLength(1);
    expect(fake.messages).toHaveLength(1);
  });

  it('finds the contact whose create answer was lost instead of creating it twice', async () => {
    fake.fail(1, { dropAfterCreate: true });
    const contact = await chatwoot().createContact({ phone: LEAD, name: 'Mariana' });
    expect(fake.contacts).toHaveLength(1);
    expect(contact.id).toBe(fake.contacts[0]?.id);
    expect(calls('POST', '/contacts')).toHaveLength(1);
  });

  it('repeats a status change that timed out: setting a status twice is harmless', async () => {
    const client = chatwoot({ timeoutMs: 200 });
    const { id } = await leadConversation(client);
    fake.fail(1, { delayMs: 500 });
    await client.setStatus(id, 'resolved');
    expect(calls('POST', `/conversations/${id}/toggle_status`)).toHaveLength(2);
    expect(fake.conversation(id).status).toBe('resolved');
  });

  it('opens the breaker after repeated outages, then fails fast without calling', async () => {
    const outcomes: string[] = [];
    const metrics = { calls: { inc: ({ outcome }: { outcome: string }) => void outcomes.push(outcome) } };
    const client = chatwoot({ retries: 0 }, captureLogs().log, metrics);
    fake.down();
    for (let i = 0; i < 10 && !client.isCircuitOpen(); i++) {
      expect((await upstreamFailure(client.findOpenConversation(1))).upstreamStatus).toBe(503);
    }
    expect(client.isCircuitOpen()).toBe(true);
    const before = fake.requests.length;
    const error = await upstreamFailure(client.createMessage(482, { content: 'Olá', type: 'outgoing' }));
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toContain('circuit open');
    expect(fake.requests).toHaveLength(before);
    expect(outcomes.at(-1)).toBe('circuit_open');
  });

  it('does not count refusals (404, 422) as an outage', async () => {
    const client = chatwoot();
    for (let i = 0; i < 6; i++) {
      expect(
        (await upstreamFailure(client.createConversation({ contactId: 999, sourceId: null }))).upstreamStatus,
      ).toBe(404);
      expect(
        (await upstreamFailure(client.createMessage(999, { content: 'x', type: 'outgoing' }))).retryable,
      ).toBe(false);
    }
    expect(client.isCircuitOpen()).toBe(false);
  });

  it('never logs the token, phone numbers or message text, even while retrying', async () => {
    const logs = captureLogs();
    const client = chatwoot({}, logs.log);
    const { id } = await leadConversation(client);
    fake.fail(2, { status: 502 });
    await client.findContact(LEAD);
    fake.fail(1, { status: 500 });
    await client.createMessage(id, { content: 'Precisamos de 2 misturadores', type: 'incoming' });
    expect(logs.lines.filter((line) => line.msg === 'Chatwoot call retried')).toHaveLength(3);
    expect(logs.text()).not.toContain(TOKEN);
    expect(logs.text()).not.toMatch(/87650001|9876/);
    expect(logs.text()).not.toContain('misturadores');
  });
});

describe('fake Chatwoot webhooks', () => {
  it('echoes our API message as message_created shaped like the fixture, token kept in the URL', async () => {
    fake.webhookTo(webhookUrl);
    const client = chatwoot();
    const { id } = await leadConversation(client);
    const sent = await client.createMessage(id, { content: 'Fabricamos, sim!', type: 'outgoing' });
    await fake.settled();
    const echo = received.find((r) => r.body.event === 'message_created');
    expect(echo?.url).toBe('/webhooks/chatwoot?token=wh-secret-token');
    expect(echo?.body).toMatchObject({
      id: sent.id,
      message_type: 'outgoing',
      private: false,
      sender: { id: BOT_USER, type: 'user' },
      conversation: { id, status: 'open', messages: [{ id: sent.id, message_type: 1 }] },
    });
    expect(shape(echo?.body ?? {})).toEqual(shape(fixture('message_created_outgoing_bot_api_echo')));
    expect(received.map((r) => r.body.event)).toEqual(['conversation_created', 'message_created']);
    expect(fake.webhookDeliveries.map((d) => d.status)).toEqual([200, 200]);
    expect(fake.webhookDeliveries.every((d) => (d.durationMs ?? Infinity) < 1_000)).toBe(true);
  });

  it('acts like a human: reply, private note, assignment and resolution', async () => {
    fake.webhookTo(webhookUrl);
    const { id } = await leadConversation(chatwoot());
    await fake.settled();
    received.length = 0;

    const reply = await fake.humanReply(id, 'Oi Mariana, aqui é o Rafael.');
    expect(reply.deliveries.map((d) => d.status)).toEqual([200]);
    expect(received[0]?.body).toMatchObject({
      message_type: 'outgoing',
      sender: { id: HUMAN, type: 'user' },
    });
    expect(shape(received[0]?.body ?? {})).toEqual(shape(fixture('message_created_outgoing_human_agent')));

    await fake.humanReply(id, 'Ligar amanhã', { private: true });
    expect(received[1]?.body).toMatchObject({
      private: true,
      conversation: { messages: [{ id: reply.message.id }] },
    });

    await fake.assignToHuman(id);
    expect(received[2]?.body).toMatchObject({
      event: 'conversation_updated',
      changed_attributes: [
        { assignee_id: { previous_value: null, current_value: HUMAN } },
        { updated_at: {} },
      ],
      meta: { assignee: { id: HUMAN, type: 'user' } },
    });

    await fake.resolve(id);
    expect(received.slice(3).map((r) => r.body.event)).toEqual([
      'conversation_status_changed',
      'conversation_updated',
    ]);
    expect(received[3]?.body).toMatchObject({
      status: 'resolved',
      changed_attributes: [
        { status: { previous_value: 'open', current_value: 'resolved' } },
        { updated_at: {} },
      ],
    });
    const resolvedFixture = fixture('conversation_status_changed_resolved');
    expect(shape(received[3]?.body ?? {}).top).toEqual(shape(resolvedFixture).top);

    const lead = await fake.leadMessage(id, 'Voltei!');
    expect(lead.message.source_id).toMatch(/^WAID:/);
    expect(fake.conversation(id).status).toBe('open');
    expect(shape(lead.deliveries[0]?.body ?? {})).toEqual(shape(fixture('message_created_incoming_contact')));
  });

  it('can deliver the echo before answering the POST (the documented race)', async () => {
    fake.webhookTo(webhookUrl, { events: ['message_created'] });
    fake.configure({ echoBeforeResponse: true });
    const client = chatwoot();
    const { id } = await leadConversation(client);
    const sent = client.createMessage(id, { content: 'Fabricamos, sim!', type: 'outgoing' });
    const echoed = await sent.then(() => received.length);
    expect(echoed).toBe(1);
    expect(received[0]?.body.id).toBe((await sent).id);
  });

  it('sends a duplicate with the same delivery id, signed when a secret is set', async () => {
    fake.webhookTo(webhookUrl);
    fake.configure({ deliverTwice: true, secret: 'whsec-test' });
    const { id } = await leadConversation(chatwoot());
    await fake.settled();
    received.length = 0;
    const { deliveries } = await fake.humanReply(id, 'Oi!');
    expect(deliveries).toHaveLength(2);
    expect(received).toHaveLength(2);
    const [first, second] = received;
    expect(first?.headers['x-chatwoot-delivery']).toBe(second?.headers['x-chatwoot-delivery']);
    for (const copy of received) {
      const timestamp = String(copy.headers['x-chatwoot-timestamp']);
      const hmac = createHmac('sha256', 'whsec-test').update(`${timestamp}.${copy.raw}`).digest('hex');
      expect(copy.headers['x-chatwoot-signature']).toBe(`sha256=${hmac}`);
    }
  });
});
