import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { normalizePhone } from '../../domain/phone.js';
import { safeEqual } from '../../domain/safe-equal.js';
import { storable } from '../../domain/storable-text.js';

/**
 * Chatwoot's webhook bodies (contract §2), read into the few facts the bot acts on. Chatwoot
 * versions differ (string or integer message types, senders with or without `type`), so
 * everything is optional and normalised here, once.
 */
const senderSchema = z.object({ id: z.number().nullish(), type: z.string().nullish() }).loose().nullish();

const conversationSchema = z
  .object({
    id: z.number(),
    status: z.string().nullish(),
    meta: z
      .object({
        sender: z.object({ phone_number: z.string().nullish() }).loose().nullish(),
        assignee: senderSchema,
      })
      .loose()
      .nullish(),
  })
  .loose();

const messageEventSchema = z
  .object({
    event: z.enum(['message_created', 'message_updated']),
    id: z.number(),
    content: z.string().nullish(),
    message_type: z.union([z.string(), z.number()]),
    private: z.boolean().nullish(),
    source_id: z.string().nullish(),
    sender: senderSchema,
    conversation: conversationSchema,
  })
  .loose();

const conversationEventSchema = conversationSchema.extend({
  event: z.enum(['conversation_updated', 'conversation_status_changed', 'conversation_created']),
  changed_attributes: z.array(z.record(z.string(), z.unknown())).nullish(),
});

const MESSAGE_TYPES: Record<string, 'incoming' | 'outgoing' | 'activity' | 'template'> = {
  incoming: 'incoming',
  outgoing: 'outgoing',
  activity: 'activity',
  template: 'template',
  '0': 'incoming',
  '1': 'outgoing',
  '2': 'activity',
  '3': 'template',
};

export type ChatwootSender = { id: number | null; type: string | null };

export type ChatwootEvent =
  | {
      kind: 'message';
      messageId: number;
      conversationId: number;
      contactPhone: string | null;
      direction: 'incoming' | 'outgoing';
      isPrivate: boolean;
      content: string;
      sourceId: string | null;
      sender: ChatwootSender | null;
    }
  | { kind: 'assigned'; conversationId: number; contactPhone: string | null; assignee: ChatwootSender | null }
  | { kind: 'status'; conversationId: number; contactPhone: string | null; status: string }
  | { kind: 'ignored'; reason: string };

export type ParsedChatwootWebhook = { event: string; deliveryKey: string; parsed: ChatwootEvent };

function phoneOf(conversation: z.infer<typeof conversationSchema>): string | null {
  const raw = conversation.meta?.sender?.phone_number;
  return raw ? normalizePhone(raw) : null;
}

function changed(attributes: Record<string, unknown>[] | null | undefined, key: string) {
  const entry = attributes?.find((item) => key in item)?.[key] as { current_value?: unknown } | undefined;
  return entry === undefined ? undefined : { current: entry.current_value };
}

function readMessage(body: unknown): ParsedChatwootWebhook {
  const message = messageEventSchema.parse(body);
  const deliveryKey = `${message.event}:${message.id}`;
  const type = MESSAGE_TYPES[String(message.message_type)];
  if (message.event === 'message_updated') {
    return {
      event: message.event,
      deliveryKey: `${deliveryKey}:${Date.now()}`,
      parsed: { kind: 'ignored', reason: 'message_updated' },
    };
  }
  if (type === undefined || type === 'activity') {
    return {
      event: message.event,
      deliveryKey,
      parsed: { kind: 'ignored', reason: `message_type ${message.message_type}` },
    };
  }
  return {
    event: message.event,
    deliveryKey,
    parsed: {
      kind: 'message',
      messageId: message.id,
      conversationId: message.conversation.id,
      contactPhone: phoneOf(message.conversation),
      direction: type === 'incoming' ? 'incoming' : 'outgoing',
      isPrivate: message.private === true,
      content: message.content ?? '',
      sourceId: message.source_id ?? null,
      sender: message.sender ? { id: message.sender.id ?? null, type: message.sender.type ?? null } : null,
    },
  };
}

function readConversation(body: unknown): ParsedChatwootWebhook {
  const conversation = conversationEventSchema.parse(body);
  const contactPhone = phoneOf(conversation);
  const assignee = changed(conversation.changed_attributes, 'assignee_id');
  const status = changed(conversation.changed_attributes, 'status');
  const base = `${conversation.event}:${conversation.id}`;
  if (assignee !== undefined && assignee.current !== null) {
    const who = conversation.meta?.assignee;
    return {
      event: conversation.event,
      deliveryKey: `${base}:assignee:${String(assignee.current)}`,
      parsed: {
        kind: 'assigned',
        conversationId: conversation.id,
        contactPhone,
        assignee: who ? { id: who.id ?? null, type: who.type ?? null } : null,
      },
    };
  }
  if (status !== undefined && typeof status.current === 'string') {
    return {
      event: conversation.event,
      deliveryKey: `${base}:status:${status.current}:${conversation.status ?? ''}`,
      parsed: { kind: 'status', conversationId: conversation.id, contactPhone, status: status.current },
    };
  }
  return {
    event: conversation.event,
    deliveryKey: `${base}:${Date.now()}`,
    parsed: { kind: 'ignored', reason: 'no change the bot acts on' },
  };
}

/** Throws a ZodError for a body that is not a Chatwoot event we know (a 400 at the route). */
export function parseChatwootWebhook(body: unknown, deliveryId?: string): ParsedChatwootWebhook {
  // Refusing a message Postgres cannot store would make Chatwoot reopen the conversation itself.
  return storable(readWebhook(body, deliveryId));
}

function readWebhook(body: unknown, deliveryId: string | undefined): ParsedChatwootWebhook {
  const event = (body as { event?: unknown } | null)?.event;
  const result =
    event === 'message_created' || event === 'message_updated'
      ? readMessage(body)
      : typeof event === 'string' && event.startsWith('conversation_')
        ? readConversation(body)
        : {
            event: String(event),
            deliveryKey: `other:${Date.now()}`,
            parsed: { kind: 'ignored' as const, reason: `event ${String(event)}` },
          };
  // Chatwoot ≥ 4.11 names each delivery; retries reuse the name.
  return deliveryId ? { ...result, deliveryKey: `delivery:${deliveryId}` } : result;
}

const SIGNATURE_MAX_AGE_S = 300;

/** X-Chatwoot-Signature: sha256=HMAC(secret, "<timestamp>.<raw body>"); stale timestamps refused. */
export function isValidChatwootSignature(input: {
  secret: string;
  rawBody: Buffer;
  timestamp: string | undefined;
  signature: string | undefined;
  nowS?: number;
}): boolean {
  const { secret, rawBody, timestamp, signature } = input;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  const now = input.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > SIGNATURE_MAX_AGE_S) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
  return safeEqual(signature.replace(/^sha256=/, ''), expected);
}
