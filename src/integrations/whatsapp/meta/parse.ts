import { normalizePhone } from '../../../domain/phone.js';
import { readMetaReferral, withReferral } from '../referral.js';
import type {
  DeliveryStatus,
  IgnoredEvent,
  IgnoreReason,
  InboundMessage,
  MediaRef,
  ParsedWebhook,
  StatusUpdate,
} from '../types.js';
import {
  type MetaContact,
  type MetaMessage,
  type MetaWebhookError,
  metaChangeSchema,
  metaContactSchema,
  metaEntrySchema,
  metaEnvelopeSchema,
  metaMessageSchema,
  metaMessagesValueSchema,
  metaStatusSchema,
  metaWebhookErrorSchema,
} from './webhook.schemas.js';

const PROVIDER = 'meta';
const WHATSAPP_OBJECT = 'whatsapp_business_account';
const DELIVERY_STATUSES: ReadonlySet<string> = new Set<DeliveryStatus>([
  'sent',
  'delivered',
  'read',
  'played',
  'failed',
]);

type Content = Pick<InboundMessage, 'kind' | 'text' | 'media'>;
type Skip = { reason: IgnoreReason; detail: string };

/**
 * Turns one Meta webhook POST into messages, statuses and ignored events. A POST may batch many
 * updates, so every entry[] → changes[] → value.{messages, statuses, errors} is read (§1.1).
 * Never throws: what it cannot read becomes an IgnoredEvent.
 */
export function parseMetaWebhook(body: unknown): ParsedWebhook {
  const out: ParsedWebhook = { messages: [], statuses: [], ignored: [] };
  const envelope = metaEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    out.ignored.push(ignore(null, null, { reason: 'unknown_shape', detail: 'not a Meta webhook envelope' }));
    return out;
  }
  const { object, entry } = envelope.data;
  if (object !== undefined && object !== WHATSAPP_OBJECT) {
    out.ignored.push(ignore(null, null, { reason: 'other_event', detail: `object=${object}` }));
    return out;
  }
  for (const rawEntry of entry) {
    const parsed = metaEntrySchema.safeParse(rawEntry);
    if (!parsed.success) {
      out.ignored.push(ignore(null, null, { reason: 'unknown_shape', detail: 'entry without changes[]' }));
      continue;
    }
    for (const rawChange of parsed.data.changes) parseChange(rawChange, out);
  }
  return out;
}

function parseChange(raw: unknown, out: ParsedWebhook): void {
  const change = metaChangeSchema.safeParse(raw);
  if (!change.success) {
    out.ignored.push(ignore(null, null, { reason: 'unknown_shape', detail: 'change without field' }));
    return;
  }
  // smb_message_echoes, account_update, template status fields… (§1.2): not ours to handle.
  if (change.data.field !== 'messages') {
    out.ignored.push(ignore(null, null, { reason: 'other_event', detail: `field=${change.data.field}` }));
    return;
  }
  const value = metaMessagesValueSchema.safeParse(change.data.value);
  if (!value.success) {
    const detail = 'messages change without metadata.phone_number_id';
    out.ignored.push(ignore(null, null, { reason: 'unknown_shape', detail }));
    return;
  }
  const { metadata, contacts = [], messages = [], statuses = [], errors = [] } = value.data;
  const instanceId = metadata.phone_number_id;
  const knownContacts = contacts.flatMap((raw) => {
    const contact = metaContactSchema.safeParse(raw);
    return contact.success ? [contact.data] : [];
  });

  for (const raw of messages) pushOutcome(out, parseMessage(raw, instanceId, knownContacts));
  for (const raw of statuses) pushOutcome(out, parseStatus(raw, instanceId));
  for (const raw of errors) out.ignored.push(ignore(instanceId, null, valueError(raw)));
  if (messages.length + statuses.length + errors.length === 0) {
    const detail = 'field=messages without messages, statuses or errors';
    out.ignored.push(ignore(instanceId, null, { reason: 'other_event', detail }));
  }
}

function parseMessage(
  raw: unknown,
  instanceId: string,
  contacts: MetaContact[],
): InboundMessage | IgnoredEvent {
  const parsed = metaMessageSchema.safeParse(raw);
  if (!parsed.success) {
    return ignore(instanceId, idOf(raw), { reason: 'unknown_shape', detail: 'message item did not match' });
  }
  const message = parsed.data;
  // Cloud API groups: `from` is the participant, and we only talk to leads one-to-one (§1.3).
  if (message.group_id) {
    return ignore(instanceId, message.id, { reason: 'group', detail: 'group_id present' });
  }
  // Users with a username may come with from = '' and only a BSUID (§1.2); reply to what we got.
  const chatId = message.from || message.from_user_id;
  if (!chatId) {
    return ignore(instanceId, message.id, { reason: 'unknown_shape', detail: 'message without sender' });
  }
  const content = readContent(message);
  if ('reason' in content) return ignore(instanceId, message.id, content);
  return {
    provider: PROVIDER,
    instanceId,
    messageId: message.id,
    chatId,
    phone: message.from ? normalizePhone(message.from) : null,
    lid: null,
    name: contactName(contacts, message),
    ...content,
    quotedId: message.context?.id || null,
    timestampMs: Number(message.timestamp) * 1000,
    fromMe: false,
    ...withReferral(readMetaReferral(message.referral)),
  };
}

function readContent(message: MetaMessage): Content | Skip {
  const { type } = message;
  const noContent: Skip = { reason: 'no_content', detail: `type=${type} without content` };
  switch (type) {
    case 'text':
      return message.text?.body.trim() ? { kind: 'text', text: message.text.body, media: null } : noContent;
    case 'audio':
      if (!message.audio) return noContent;
      return {
        kind: 'audio',
        text: null,
        media: mediaRef('audio', message.audio, message.audio.voice === true),
      };
    case 'image':
      if (!message.image) return noContent;
      return {
        kind: 'image',
        text: message.image.caption || null,
        media: mediaRef('image', message.image, false),
      };
    case 'interactive': {
      const reply = message.interactive?.button_reply ?? message.interactive?.list_reply;
      if (reply) return { kind: 'button', text: reply.title, media: null };
      return {
        reason: 'unsupported_type',
        detail: `type=interactive/${message.interactive?.type ?? 'unknown'}`,
      };
    }
    case 'button':
      return message.button ? { kind: 'button', text: message.button.text, media: null } : noContent;
    case 'reaction':
      return { reason: 'reaction', detail: 'type=reaction' };
    default:
      return { reason: 'unsupported_type', detail: `type=${type}` };
  }
}

function mediaRef(
  kind: MediaRef['kind'],
  media: { id: string; url?: string | undefined; mime_type?: string | undefined },
  isVoice: boolean,
): MediaRef {
  return {
    kind,
    mediaId: media.id,
    url: media.url ?? null,
    base64: null,
    mimeType: media.mime_type ?? null,
    seconds: null,
    isVoice,
  };
}

/** contacts[] is matched by wa_id, or by BSUID when wa_id is empty; never by position. */
function contactName(contacts: MetaContact[], message: MetaMessage): string | null {
  const contact = contacts.find(
    (c) =>
      (message.from && c.wa_id === message.from) ||
      (message.from_user_id && c.user_id === message.from_user_id),
  );
  return contact?.profile?.name || null;
}

function parseStatus(raw: unknown, instanceId: string): StatusUpdate | IgnoredEvent {
  const parsed = metaStatusSchema.safeParse(raw);
  if (!parsed.success) {
    return ignore(instanceId, null, { reason: 'unknown_shape', detail: 'status item did not match' });
  }
  const { id, status, timestamp, errors, biz_opaque_callback_data: reference } = parsed.data;
  // Older docs also list `deleted` and `warning` (§1.4).
  if (!isDeliveryStatus(status)) {
    return ignore(instanceId, null, { reason: 'other_event', detail: `status=${status}` });
  }
  const firstError = errors?.[0];
  return {
    provider: PROVIDER,
    instanceId,
    providerMessageId: id,
    status,
    timestampMs: Number(timestamp) * 1000,
    error: firstError ? toDeliveryError(firstError) : null,
    ...(reference ? { reference } : {}),
  };
}

/** Meta's title often repeats the message; keep both only when they differ. */
function toDeliveryError(error: MetaWebhookError): { code: string; message: string } {
  const parts = [error.title, error.message].filter((part): part is string => Boolean(part));
  return { code: String(error.code), message: [...new Set(parts)].join(': ') };
}

function valueError(raw: unknown): Skip {
  const parsed = metaWebhookErrorSchema.safeParse(raw);
  return { reason: 'other_event', detail: parsed.success ? `error code=${parsed.data.code}` : 'error' };
}

function isDeliveryStatus(status: string): status is DeliveryStatus {
  return DELIVERY_STATUSES.has(status);
}

function pushOutcome(out: ParsedWebhook, outcome: InboundMessage | StatusUpdate | IgnoredEvent): void {
  if ('reason' in outcome) out.ignored.push(outcome);
  else if ('providerMessageId' in outcome) out.statuses.push(outcome);
  else out.messages.push(outcome);
}

/** The item's id even when the rest did not parse, so a redelivery still dedupes. */
function idOf(raw: unknown): string | null {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length > 0 ? id : null;
}

function ignore(instanceId: string | null, messageId: string | null, skip: Skip): IgnoredEvent {
  return { provider: PROVIDER, instanceId, messageId, reason: skip.reason, detail: skip.detail };
}
