import { createHmac } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { closeServer, listenOnLoopback } from '../helpers/loopback-server.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { createFaults, readRequest } from './fake-http.js';

/**
 * A stateful fake of Chatwoot's Application API v1 and its outgoing webhooks
 * (shared/contracts/chatwoot.md) for one account with one API-channel inbox, on 127.0.0.1.
 * REST under `{baseUrl}/api/v1/accounts/{accountId}`, auth by `api_access_token`; answers in
 * Chatwoot's shapes (§6; message create in push format with an integer `message_type`).
 *
 * Webhooks like Chatwoot's (§1, §2): after `webhookTo(url)`, every change sends its event, our
 * own API calls included: a message we create comes back as `message_created` (the echo, sender
 * `{id: botUserId, type: 'user'}`), a status we set as `conversation_status_changed` plus
 * `conversation_updated`. Deliveries never hold up the API answer (unless `echoBeforeResponse`,
 * the race of §3), are tracked so `settled()`/`stop()` can wait for them, and are recorded with
 * their status in `webhookDeliveries`. The human helpers (`humanReply`, `assignToHuman`,
 * `resolve`, `leadMessage`) act as the Chatwoot UI or Evolution would and resolve once their
 * webhooks were answered.
 *
 * Choices where the contract is unconfirmed: `/contacts/filter` adds the `+` to phone values
 * (Evolution strips it); contacts are unique by phone, identifier and e-mail (422 `{message,
 * attributes}`); an Agent Bot token may use the §0 allowlist minus labels; one delivery per
 * event (no retries), `deliverTwice` sends a second copy at once with the same delivery id.
 */

export type ChatwootFault =
  | { status: number; body?: unknown; retryAfterSeconds?: number }
  /** Does the work (and its webhooks) at once, answers late. */
  | { delayMs: number }
  /** Does the work, then destroys the socket: the answer to a create is lost. */
  | { dropAfterCreate: true };

export type FakeChatwootUser = { id: number; name: string; email: string };
export type ConversationStatus = 'open' | 'pending' | 'resolved' | 'snoozed';
type Sender = { type: 'contact' | 'user' | 'agent_bot'; id: number } | null;
type ContactInbox = { id: number; inbox_id: number; source_id: string; created_at: string };
export type FakeContact = {
  id: number;
  name: string;
  email: string | null;
  phone_number: string | null;
  identifier: string | null;
  contact_inboxes: ContactInbox[];
  created_at: number;
};
export type FakeConversation = {
  id: number;
  inbox_id: number;
  contact_id: number;
  contact_inbox: ContactInbox;
  status: ConversationStatus;
  labels: string[];
  assignee_id: number | null;
  team_id: number | null;
  created_at: number;
  updated_at: number;
  first_reply_created_at: string | null;
};
export type FakeMessage = {
  id: number;
  conversation_id: number;
  content: string | null;
  message_type: 'incoming' | 'outgoing';
  private: boolean;
  sender: Sender;
  source_id: string | null;
  echo_id: string | null;
  created_at: Date;
};
export type RecordedRequest = {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
  at: Date;
};
export type WebhookDelivery = {
  event: string;
  deliveryId: string;
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  /** Our endpoint's status, or null with `error` when it did not answer. */
  status: number | null;
  error: string | null;
  durationMs: number | null;
};
export type FakeChatwootOptions = {
  token: string;
  accountId: number;
  inboxId: number;
  /** The user whose token the service uses: the sender of every message made with `token`. */
  botUserId: number;
  humanUser?: FakeChatwootUser;
  /** An Agent Bot token (§0): refused on contacts, sends messages as `type: 'agent_bot'`. */
  agentBot?: { id: number; token: string; name?: string };
  /** Signs deliveries (§1.3) when set. */
  secret?: string;
  deliverTwice?: boolean;
  echoBeforeResponse?: boolean;
  seed?: number;
};

type Body = Record<string, unknown>;
type Reply = { status: number; body: unknown; headers?: Record<string, string> };
type Event = [event: string, body: Body];
type Actor = { type: 'user' | 'agent_bot'; id: number };
type RouteInput = {
  method: string;
  path: string;
  query: Record<string, string>;
  request: Body;
  actor: Actor;
  events: Event[];
};

export const CHATWOOT_EVENTS = [
  'message_created',
  'message_updated',
  'conversation_created',
  'conversation_status_changed',
  'conversation_updated',
] as const;
const DEFAULT_HUMAN: FakeChatwootUser = {
  id: 12,
  name: 'Rafael Lima',
  email: 'rafael.lima@seletoindustrial.com.br',
};
const FIRST_IDS = { contact: 1284, contactInbox: 2291, conversation: 482, message: 90871 };
const WEBHOOK_TIMEOUT_MS = 5_000;
const SEARCH_PAGE_SIZE = 15;
const E164 = /^\+[1-9]\d{1,14}$/;
const MESSAGE_TYPE_CODES = { incoming: 0, outgoing: 1 } as const;
const BOT_ALLOWED = new Set([
  'messages',
  'toggle_status',
  'toggle_priority',
  'assignments',
  'custom_attributes',
]);

const error = (status: number, message: string): Reply => ({ status, body: { error: message } });
const notFound = () => error(404, 'Resource could not be found');
const unix = (ms = Date.now()) => Math.floor(ms / 1000);
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const withoutType = ({ type: _type, ...rest }: Body) => rest;
const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : null);

export function createFakeChatwoot(options: FakeChatwootOptions) {
  const { token, accountId, inboxId, botUserId, agentBot, seed = 7 } = options;
  const human = options.humanUser ?? DEFAULT_HUMAN;
  const account = { id: accountId, name: 'Seleto Industrial' };
  const inbox = { id: inboxId, name: 'WhatsApp Comercial' };
  const botUser = {
    id: botUserId,
    name: 'Seleto Bot (integração)',
    email: 'integracao.bot@seletoindustrial.com.br',
  };
  const defaults = {
    secret: options.secret ?? null,
    deliverTwice: options.deliverTwice ?? false,
    echoBeforeResponse: options.echoBeforeResponse ?? false,
  };
  let settings = { ...defaults };
  let random = seededRandom(seed);
  let nextIds = { ...FIRST_IDS };
  let target: { url: string; events: Set<string> } | null = null;
  const faults = createFaults<ChatwootFault>(() => random());
  let isDown = false;
  const contacts: FakeContact[] = [];
  const conversations: FakeConversation[] = [];
  const messages: FakeMessage[] = [];
  const requests: RecordedRequest[] = [];
  const webhookDeliveries: WebhookDelivery[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();

  const users = () => [botUser, human];
  const uuid = () => {
    const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  };
  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    const forget = () => inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  };
  const findConversation = (id: number) => conversations.find((c) => c.id === id);
  const contactOf = (conversation: FakeConversation) =>
    contacts.find((c) => c.id === conversation.contact_id) as FakeContact;

  // ---- Serializers (§2): webhook_data, push_event_data and the REST views. ----

  const contactPush = (contact: FakeContact) => ({
    additional_attributes: {},
    custom_attributes: {},
    email: contact.email,
    id: contact.id,
    identifier: contact.identifier,
    name: contact.name,
    phone_number: contact.phone_number,
    thumbnail: '',
    blocked: false,
    type: 'contact',
  });
  const userPush = (user: FakeChatwootUser) => ({
    id: user.id,
    name: user.name,
    available_name: user.name,
    avatar_url: '',
    type: 'user',
    availability_status: user.id === human.id ? 'online' : 'offline',
    thumbnail: '',
  });
  const botName = agentBot?.name ?? 'Seleto Bot';
  const userById = (id: number | null) => users().find((user) => user.id === id) ?? null;

  function senderPush(sender: Sender): Body | null {
    if (sender?.type === 'contact') {
      const contact = contacts.find((c) => c.id === sender.id);
      return contact ? contactPush(contact) : null;
    }
    if (sender?.type === 'agent_bot')
      return { id: sender.id, name: botName, avatar_url: '', type: 'agent_bot' };
    const user = sender ? userById(sender.id) : null;
    return user ? userPush(user) : null;
  }

  function senderWebhook(sender: Sender): Body | null {
    if (sender?.type === 'contact') {
      return { account, ...withoutType(senderPush(sender) ?? {}), avatar: '' };
    }
    if (sender?.type === 'agent_bot') return { id: sender.id, name: botName, type: 'agent_bot' };
    const user = sender ? userById(sender.id) : null;
    return user ? { id: user.id, name: user.name, email: user.email, type: 'user' } : null;
  }

  function messagePush(message: FakeMessage, conversation: FakeConversation): Body {
    const senderType = { contact: 'Contact', user: 'User', agent_bot: 'AgentBot' };
    return {
      id: message.id,
      content: message.content,
      account_id: accountId,
      inbox_id: conversation.inbox_id,
      conversation_id: conversation.id,
      message_type: MESSAGE_TYPE_CODES[message.message_type],
      created_at: unix(message.created_at.getTime()),
      updated_at: message.created_at.toISOString(),
      private: message.private,
      status: 'sent',
      source_id: message.source_id,
      content_type: 'text',
      content_attributes: {},
      sender_type: message.sender ? senderType[message.sender.type] : null,
      sender_id: message.sender?.id ?? null,
      external_source_ids: {},
      additional_attributes: {},
      processed_message_content: message.content,
      sentiment: {},
      conversation: {
        assignee_id: conversation.assignee_id,
        unread_count: 0,
        last_activity_at: conversation.updated_at,
        contact_inbox: { source_id: conversation.contact_inbox.source_id },
      },
      sender: senderPush(message.sender),
    };
  }

  /** Conversation#webhook_data: `messages` holds the last public message only (§2.3). */
  function conversationPush(conversation: FakeConversation): Body {
    const contact = contactOf(conversation);
    const last = messages.filter((m) => m.conversation_id === conversation.id && !m.private).at(-1);
    const assignee = userById(conversation.assignee_id);
    const { contact_inbox: contactInbox } = conversation;
    return {
      additional_attributes: {},
      can_reply: true,
      channel: 'Channel::Api',
      contact_inbox: {
        ...contactInbox,
        contact_id: contact.id,
        updated_at: contactInbox.created_at,
        hmac_verified: false,
        pubsub_token: contactInbox.source_id.replace(/-/g, '').slice(0, 24),
      },
      id: conversation.id,
      inbox_id: conversation.inbox_id,
      messages: last ? [messagePush(last, conversation)] : [],
      labels: [...conversation.labels],
      meta: {
        sender: contactPush(contact),
        assignee: assignee ? userPush(assignee) : null,
        assignee_type: assignee ? 'User' : null,
        team:
          conversation.team_id === null
            ? null
            : { id: conversation.team_id, name: `team ${conversation.team_id}` },
        hmac_verified: false,
      },
      status: conversation.status,
      custom_attributes: {},
      snoozed_until: null,
      unread_count: 0,
      first_reply_created_at: conversation.first_reply_created_at,
      priority: null,
      waiting_since: 0,
      agent_last_seen_at: 0,
      contact_last_seen_at: 0,
      last_activity_at: conversation.updated_at,
      timestamp: conversation.updated_at,
      created_at: conversation.created_at,
      updated_at: conversation.updated_at,
    };
  }

  /** Message#webhook_data: string `message_type`, ISO `created_at`, nested conversation. */
  function messageEvent(event: string, message: FakeMessage, conversation: FakeConversation): Event {
    return [
      event,
      {
        account,
        additional_attributes: {},
        content_attributes: {},
        content_type: 'text',
        content: message.content,
        conversation: conversationPush(conversation),
        created_at: message.created_at.toISOString(),
        id: message.id,
        inbox,
        message_type: message.message_type,
        private: message.private,
        sender: senderWebhook(message.sender),
        source_id: message.source_id,
        event,
      },
    ];
  }

  const contactView = (contact: FakeContact) => ({
    ...withoutType(contactPush(contact)),
    availability_status: 'offline',
    last_activity_at: null,
    created_at: contact.created_at,
    contact_inboxes: contact.contact_inboxes.map((item) => ({
      source_id: item.source_id,
      inbox: {
        id: item.inbox_id,
        name: inbox.name,
        channel_type: 'Channel::Api',
        provider: null,
        avatar_url: '',
      },
    })),
  });
  const conversationView = (conversation: FakeConversation) => ({
    ...conversationPush(conversation),
    account_id: accountId,
    muted: false,
  });

  // ---- Webhook delivery (§1). ----

  async function postWebhook(delivery: WebhookDelivery, payload: string): Promise<void> {
    const startedAt = performance.now();
    const timestamp = String(unix());
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (settings.secret) {
      const hmac = createHmac('sha256', settings.secret).update(`${timestamp}.${payload}`).digest('hex');
      headers['x-chatwoot-timestamp'] = timestamp;
      headers['x-chatwoot-signature'] = `sha256=${hmac}`;
      headers['x-chatwoot-delivery'] = delivery.deliveryId;
    }
    delivery.headers = headers;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers,
        body: payload,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      delivery.status = response.status;
    } catch (failure) {
      delivery.error = String(failure);
    } finally {
      delivery.durationMs = performance.now() - startedAt;
    }
  }

  /** Sends the events in order; resolves with their deliveries once each was answered. */
  function deliver(events: Event[]): Promise<WebhookDelivery[]> {
    const run = async () => {
      const done: WebhookDelivery[] = [];
      for (const [event, body] of events) {
        if (!target?.events.has(event)) continue;
        const payload = JSON.stringify(body);
        const deliveryId = uuid();
        const copies = Array.from({ length: settings.deliverTwice ? 2 : 1 }, () => {
          const delivery: WebhookDelivery = {
            event,
            deliveryId,
            url: target?.url ?? '',
            headers: {},
            body: JSON.parse(payload) as Body,
            status: null,
            error: null,
            durationMs: null,
          };
          webhookDeliveries.push(delivery);
          done.push(delivery);
          return postWebhook(delivery, payload);
        });
        await Promise.all(copies);
      }
      return done;
    };
    return track(run());
  }

  // ---- State changes; each returns the events Chatwoot would send. ----

  function touch(conversation: FakeConversation): Body {
    const previous = conversation.updated_at;
    conversation.updated_at = Math.max(unix(), previous + 1);
    return { updated_at: { previous_value: iso(previous), current_value: iso(conversation.updated_at) } };
  }

  function addMessage(
    conversation: FakeConversation,
    input: Omit<FakeMessage, 'id' | 'created_at'>,
  ): Event[] {
    const message: FakeMessage = { ...input, id: nextIds.message++, created_at: new Date() };
    messages.push(message);
    touch(conversation);
    const isReply = message.message_type === 'outgoing' && !message.private;
    if (isReply) conversation.first_reply_created_at ??= message.created_at.toISOString();
    const events = [messageEvent('message_created', message, conversation)];
    // An incoming message reopens a resolved conversation (Message#reopen_conversation).
    if (message.message_type === 'incoming' && conversation.status === 'resolved') {
      events.push(...setStatus(conversation, 'open'));
    }
    return events;
  }

  function conversationEvents(conversation: FakeConversation, changed: Body, names: string[]): Event[] {
    const changes = [changed, touch(conversation)];
    return names.map((event) => [
      event,
      { ...conversationPush(conversation), event, changed_attributes: changes },
    ]);
  }

  function setStatus(conversation: FakeConversation, status: ConversationStatus): Event[] {
    const previous = conversation.status;
    if (previous === status) return [];
    conversation.status = status;
    const changed = { status: { previous_value: previous, current_value: status } };
    return conversationEvents(conversation, changed, ['conversation_status_changed', 'conversation_updated']);
  }

  function setField(conversation: FakeConversation, key: 'assignee_id' | 'team_id', value: number | null) {
    const previous = conversation[key];
    if (previous === value) return [];
    conversation[key] = value;
    return conversationEvents(conversation, { [key]: { previous_value: previous, current_value: value } }, [
      'conversation_updated',
    ]);
  }

  function setLabels(conversation: FakeConversation, labels: string[]): Event[] {
    const previous = [...conversation.labels];
    conversation.labels = [...new Set(labels)];
    if (previous.join('\n') === conversation.labels.join('\n')) return [];
    const changed = { label_list: { previous_value: previous, current_value: [...conversation.labels] } };
    return conversationEvents(conversation, changed, ['conversation_updated']);
  }

  function addContactInbox(contact: FakeContact, inbox_id: number, sourceId?: string): ContactInbox {
    const existing = contact.contact_inboxes.find((item) => item.inbox_id === inbox_id);
    if (existing && (!sourceId || existing.source_id === sourceId)) return existing;
    const created = {
      id: nextIds.contactInbox++,
      inbox_id,
      source_id: sourceId ?? uuid(),
      created_at: new Date().toISOString(),
    };
    contact.contact_inboxes.push(created);
    return created;
  }

  function createContact(body: Body): Reply {
    const phone = text(body.phone_number);
    const identifier = text(body.identifier);
    const email = text(body.email);
    if (phone !== null && !E164.test(phone)) {
      return {
        status: 422,
        body: { message: 'Phone number should be in e164 format', attributes: ['phone_number'] },
      };
    }
    const taken = (
      [
        ['phone_number', 'Phone number', phone],
        ['identifier', 'Identifier', identifier],
        ['email', 'Email', email],
      ] as const
    ).filter(([key, , value]) => value !== null && contacts.some((c) => c[key] === value));
    if (taken.length > 0) {
      const message = taken.map(([, label]) => `${label} has already been taken`).join(', ');
      return { status: 422, body: { message, attributes: taken.map(([key]) => key) } };
    }
    const contact: FakeContact = {
      id: nextIds.contact++,
      name: text(body.name) ?? '',
      email,
      phone_number: phone,
      identifier,
      contact_inboxes: [],
      created_at: unix(),
    };
    contacts.push(contact);
    const contactInbox = body.inbox_id === inboxId ? addContactInbox(contact, inboxId) : null;
    return {
      status: 200,
      body: {
        payload: {
          contact: contactView(contact),
          contact_inbox: contactInbox && {
            inbox: { id: inboxId, name: inbox.name },
            source_id: contactInbox.source_id,
          },
        },
      },
    };
  }

  /** Contacts::FilterService, the few attributes and operators we use; AND/OR left to right. */
  function filterContacts(body: Body): Reply {
    const conditions = body.payload;
    if (!Array.isArray(conditions) || conditions.length === 0) return error(422, 'Invalid filter payload');
    let result: boolean[] | null = null;
    let joiner = 'and';
    for (const condition of conditions as Body[]) {
      const key = condition.attribute_key;
      if (key !== 'phone_number' && key !== 'identifier' && key !== 'email' && key !== 'name') {
        return error(422, `Invalid attribute key - [${String(key)}]`);
      }
      const wanted = (Array.isArray(condition.values) ? condition.values : [condition.values]).map((v) =>
        key === 'phone_number' ? `+${String(v).replace(/^\+/, '')}` : String(v).toLowerCase(),
      );
      const hits = contacts.map((contact) => {
        const value = key === 'phone_number' ? contact[key] : contact[key]?.toLowerCase();
        const isEqual = value != null && wanted.includes(value);
        if (condition.filter_operator === 'contains') return wanted.some((w) => value?.includes(w) ?? false);
        return condition.filter_operator === 'not_equal_to' ? !isEqual : isEqual;
      });
      const previous: boolean[] | null = result;
      result = previous
        ? hits.map((hit, i) => (joiner === 'or' ? hit || !!previous[i] : hit && !!previous[i]))
        : hits;
      joiner = String(condition.query_operator ?? 'and').toLowerCase();
    }
    const found = contacts.filter((_contact, i) => result?.[i]);
    return {
      status: 200,
      body: { meta: { count: found.length, current_page: 1 }, payload: found.map(contactView) },
    };
  }

  function searchContacts(query: Record<string, string>): Reply {
    const q = query.q?.toLowerCase();
    if (!q) return error(422, 'Specify search string with parameter q');
    const found = contacts.filter((c) =>
      [c.name, c.email, c.phone_number, c.identifier].some((value) => value?.toLowerCase().includes(q)),
    );
    const page = Math.max(1, Number(query.page) || 1);
    const shown = found.slice((page - 1) * SEARCH_PAGE_SIZE, page * SEARCH_PAGE_SIZE);
    return {
      status: 200,
      body: { meta: { count: found.length, current_page: page }, payload: shown.map(contactView) },
    };
  }

  function createConversation(body: Body, events: Event[]): Reply {
    if (body.inbox_id !== inboxId) return notFound();
    const sourceId = text(body.source_id);
    const contact = sourceId
      ? contacts.find((c) => c.contact_inboxes.some((item) => item.source_id === sourceId))
      : contacts.find((c) => c.id === body.contact_id);
    if (!contact) return notFound();
    const status = (text(body.status) ?? 'open') as ConversationStatus;
    if (!['open', 'pending', 'resolved', 'snoozed'].includes(status))
      return error(422, `'${status}' is not a valid status`);
    const conversation = insertConversation(contact, status, sourceId ?? undefined);
    events.push([
      'conversation_created',
      { ...conversationPush(conversation), event: 'conversation_created' },
    ]);
    return { status: 200, body: conversationView(conversation) };
  }

  function insertConversation(
    contact: FakeContact,
    status: ConversationStatus,
    sourceId?: string,
    inbox_id = inboxId,
  ) {
    const now = unix();
    const conversation: FakeConversation = {
      id: nextIds.conversation++,
      inbox_id,
      contact_id: contact.id,
      contact_inbox: addContactInbox(contact, inbox_id, sourceId),
      status,
      labels: [],
      assignee_id: null,
      team_id: null,
      created_at: now,
      updated_at: now,
      first_reply_created_at: null,
    };
    conversations.push(conversation);
    return conversation;
  }

  function createMessage(conversation: FakeConversation, body: Body, actor: Actor, events: Event[]): Reply {
    const type = body.message_type ?? 'outgoing';
    if (type !== 'incoming' && type !== 'outgoing')
      return error(422, 'Message type is not included in the list');
    if (typeof body.content !== 'string' || body.content === '') return error(422, "Content can't be blank");
    const sender: Sender = type === 'incoming' ? { type: 'contact', id: conversation.contact_id } : actor;
    events.push(
      ...addMessage(conversation, {
        conversation_id: conversation.id,
        content: body.content,
        message_type: type,
        private: body.private === true,
        sender,
        source_id: text(body.source_id),
        echo_id: text(body.echo_id),
      }),
    );
    const message = messages.at(-1) as FakeMessage;
    return { status: 200, body: { ...messagePush(message, conversation), echo_id: message.echo_id } };
  }

  function conversationRoute(method: string, rest: string[], request: Body, actor: Actor, events: Event[]) {
    const [, idText, action] = rest;
    const conversation = findConversation(Number(idText));
    if (!conversation || rest.length > 3) return notFound();
    const route = `${method} ${action ?? ''}`;
    if (route === 'GET ') return { status: 200, body: conversationView(conversation) };
    if (route === 'POST messages') return createMessage(conversation, request, actor, events);
    if (route === 'GET messages') {
      const list = messages
        .filter((m) => m.conversation_id === conversation.id)
        .map((m) => messagePush(m, conversation));
      return { status: 200, body: { meta: { labels: [...conversation.labels] }, payload: list } };
    }
    if (route === 'GET labels') return { status: 200, body: { payload: [...conversation.labels] } };
    if (route === 'POST labels') {
      if (!Array.isArray(request.labels)) return error(422, 'labels must be a list');
      events.push(...setLabels(conversation, request.labels.map(String)));
      return { status: 200, body: { payload: [...conversation.labels] } };
    }
    if (route === 'POST toggle_status') {
      const toggled = conversation.status === 'open' ? 'resolved' : 'open';
      const status = (text(request.status) ?? toggled) as ConversationStatus;
      if (!['open', 'pending', 'resolved', 'snoozed'].includes(status))
        return error(422, `'${status}' is not a valid status`);
      events.push(...setStatus(conversation, status));
      const payload = {
        success: true,
        conversation_id: conversation.id,
        current_status: status,
        snoozed_until: null,
      };
      return { status: 200, body: { meta: {}, payload } };
    }
    if (route === 'POST assignments') {
      if ('assignee_id' in request) {
        const user = request.assignee_id === null ? null : userById(Number(request.assignee_id));
        if (request.assignee_id !== null && !user) return notFound();
        events.push(...setField(conversation, 'assignee_id', user?.id ?? null));
        return { status: 200, body: user ? { ...userPush(user), email: user.email } : null };
      }
      if (!('team_id' in request)) return error(422, 'assignee_id or team_id required');
      const teamId = request.team_id === null ? null : Number(request.team_id);
      events.push(...setField(conversation, 'team_id', teamId));
      return { status: 200, body: teamId === null ? null : { id: teamId, name: `team ${teamId}` } };
    }
    return notFound();
  }

  function route({ method, path, query, request, actor, events }: RouteInput): Reply {
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    const [api, version, accounts, accountText, ...rest] = segments;
    if (api !== 'api' || version !== 'v1' || accounts !== 'accounts') return notFound();
    if (Number(accountText) !== accountId) return error(401, 'You are not authorized to access this account');
    const isBotAllowed =
      rest[0] === 'conversations' &&
      method === 'POST' &&
      (rest.length === 1 || BOT_ALLOWED.has(rest[2] ?? ''));
    if (actor.type === 'agent_bot' && !isBotAllowed)
      return error(401, 'Access to this endpoint is not authorized for bots');
    const [resource, second, third] = rest;
    if (resource === 'conversations') {
      if (rest.length === 1 && method === 'POST') return createConversation(request, events);
      return conversationRoute(method, rest, request, actor, events);
    }
    if (resource !== 'contacts') return notFound();
    if (method === 'POST' && rest.length === 1) return createContact(request);
    if (method === 'POST' && second === 'filter') return filterContacts(request);
    if (method === 'GET' && second === 'search') return searchContacts(query);
    const contact = contacts.find((c) => c.id === Number(second));
    if (!contact || method !== 'GET' || rest.length > 3) return notFound();
    if (third === undefined) return { status: 200, body: { payload: contactView(contact) } };
    if (third !== 'conversations') return notFound();
    const list = conversations.filter((c) => c.contact_id === contact.id).map(conversationView);
    return { status: 200, body: { payload: list } };
  }

  // ---- HTTP. ----

  const nextFault = faults.next;

  function respond(res: ServerResponse, reply: Reply): void {
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  }

  /** Runs the route, then answers and sends its webhooks in the order a fault or option asks. */
  async function answer(
    res: ServerResponse,
    actor: Actor | null,
    run: (actor: Actor, events: Event[]) => Reply,
  ) {
    if (isDown) {
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
      return;
    }
    if (!actor) return respond(res, error(401, 'Invalid Access Token'));
    const injected = nextFault();
    if (injected && 'status' in injected) {
      const retryAfter = injected.retryAfterSeconds;
      return respond(res, {
        status: injected.status,
        body: injected.body ?? { error: STATUS_CODES[injected.status] ?? 'Error' },
        headers: retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
      });
    }
    const events: Event[] = [];
    const reply = run(actor, events);
    if (injected && 'dropAfterCreate' in injected) {
      void deliver(events);
      res.socket?.destroy();
      return;
    }
    if (settings.echoBeforeResponse) await deliver(events);
    else setImmediate(() => void deliver(events));
    if (!injected) return respond(res, reply);
    const timer = setTimeout(() => {
      timers.delete(timer);
      respond(res, reply);
    }, injected.delayMs);
    timers.add(timer);
  }

  function actorFor(key: string | string[] | undefined): Actor | null {
    if (key === token) return { type: 'user', id: botUserId };
    return agentBot && key === agentBot.token ? { type: 'agent_bot', id: agentBot.id } : null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { method, path, query, body } = await readRequest(req);
    requests.push({ method, path, query, headers: req.headers, body, at: new Date() });
    const request = (body && typeof body === 'object' ? body : {}) as Body;
    await answer(res, actorFor(req.headers.api_access_token), (actor, events) =>
      route({ method, path, query, request, actor, events }),
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((failure: unknown) => {
      if (res.headersSent) res.destroy();
      else respond(res, error(500, String(failure)));
    });
  });

  function requireConversation(id: number): FakeConversation {
    const conversation = findConversation(id);
    if (!conversation) throw new Error(`fake Chatwoot has no conversation ${id}`);
    return conversation;
  }

  async function act(
    conversationId: number,
    input: Omit<FakeMessage, 'id' | 'created_at' | 'conversation_id' | 'echo_id'>,
  ) {
    const conversation = requireConversation(conversationId);
    const events = addMessage(conversation, { ...input, conversation_id: conversationId, echo_id: null });
    const message = messages.filter((m) => m.conversation_id === conversationId).at(-1) as FakeMessage;
    return { message, deliveries: await deliver(events) };
  }

  function reset(): void {
    random = seededRandom(seed);
    for (const list of [contacts, conversations, messages, requests, webhookDeliveries]) list.length = 0;
    faults.reset();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    nextIds = { ...FIRST_IDS };
    settings = { ...defaults };
    target = null;
    isDown = false;
  }

  return {
    contacts,
    conversations,
    messages,
    requests,
    webhookDeliveries,
    botUser,
    humanUser: human,
    /** `baseUrl` is CHATWOOT_BASE_URL (no `/api/v1`). */
    async start() {
      return { baseUrl: `http://127.0.0.1:${await listenOnLoopback(server)}` };
    },
    async stop() {
      await Promise.allSettled([...inFlight]);
      reset();
      await closeServer(server);
    },
    reset,
    /** Where events go (`?token=` kept as given); `null` stops them. Defaults to our five events. */
    webhookTo(url: string | null, { events = CHATWOOT_EVENTS }: { events?: readonly string[] } = {}) {
      target = url === null ? null : { url, events: new Set(events) };
    },
    configure(
      changes: Partial<{ secret: string | null; deliverTwice: boolean; echoBeforeResponse: boolean }>,
    ) {
      settings = { ...settings, ...changes };
    },
    /** Resolves when every webhook sent so far got its answer (or failed). */
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    /** A contact as Evolution would have made it (no webhook). */
    addContact(input: {
      phone: string | null;
      name?: string;
      identifier?: string | null;
      email?: string | null;
    }) {
      const reply = createContact({
        phone_number: input.phone,
        name: input.name,
        identifier: input.identifier,
        email: input.email,
        inbox_id: inboxId,
      });
      if (reply.status !== 200)
        throw new Error(`fake Chatwoot refused the contact: ${JSON.stringify(reply.body)}`);
      return contacts.at(-1) as FakeContact;
    },
    /** A conversation that already exists (no webhook); `inboxId` for one in another inbox. */
    addConversation(input: { contactId: number; status?: ConversationStatus; inboxId?: number }) {
      const contact = contacts.find((c) => c.id === input.contactId);
      if (!contact) throw new Error(`fake Chatwoot has no contact ${input.contactId}`);
      return insertConversation(contact, input.status ?? 'open', undefined, input.inboxId ?? inboxId);
    },
    conversation: requireConversation,
    /** The human agent answers (or writes a private note) in the Chatwoot UI. */
    humanReply(conversationId: number, content: string, { private: isPrivate = false } = {}) {
      return act(conversationId, {
        content,
        message_type: 'outgoing',
        private: isPrivate,
        sender: { type: 'user', id: human.id },
        source_id: null,
      });
    },
    /** The lead writes on WhatsApp and Evolution mirrors it (`source_id` `WAID:…`, §5). */
    leadMessage(conversationId: number, content: string, { sourceId }: { sourceId?: string } = {}) {
      const conversation = requireConversation(conversationId);
      return act(conversationId, {
        content,
        message_type: 'incoming',
        private: false,
        sender: { type: 'contact', id: conversation.contact_id },
        source_id: sourceId ?? `WAID:3EB0${uuid().replace(/-/g, '').slice(0, 16).toUpperCase()}`,
      });
    },
    /** The human takes the conversation: `conversation_updated` with `assignee_id`. */
    assignToHuman(conversationId: number) {
      return deliver(setField(requireConversation(conversationId), 'assignee_id', human.id));
    },
    /** The human resolves it: `conversation_status_changed` (then `conversation_updated`). */
    resolve(conversationId: number) {
      return deliver(setStatus(requireConversation(conversationId), 'resolved'));
    },
    /** The next `count` authenticated calls get `fault`. */
    fail(count: number, fault: ChatwootFault) {
      faults.fail(count, fault);
    },
    /** Each authenticated call gets one of `faults` with probability `probability` (seeded dice). */
    failRate(probability: number, list: ChatwootFault[]) {
      faults.failRate(probability, list);
    },
    /** Faults injected by `fail` and `failRate` since the last reset. */
    faultsInjected: () => faults.injected(),
    /** An outage: every call answers a proxy's 503 page until `up()`. */
    down() {
      isDown = true;
    },
    up() {
      isDown = false;
    },
  };
}

export type FakeChatwoot = ReturnType<typeof createFakeChatwoot>;
