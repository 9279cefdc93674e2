import { parseWhatsAppId } from '../../../domain/phone.js';
import { readExternalAdReply, withReferral } from '../referral.js';
import type {
  AdReferral,
  DeliveryStatus,
  IgnoredEvent,
  IgnoreReason,
  InboundMessage,
  MediaRef,
  ParsedWebhook,
  StatusUpdate,
} from '../types.js';
import {
  type EvolutionMessageContent,
  type EvolutionUpsert,
  evolutionEnvelopeSchema,
  evolutionUpdateSchema,
  evolutionUpsertSchema,
} from './webhook.schemas.js';

const PROVIDER = 'evolution';

/** renderStatus names (§3.4); PENDING is not a delivery step. */
const STATUS_BY_EVOLUTION_STATUS: Readonly<Record<string, DeliveryStatus>> = {
  SERVER_ACK: 'sent',
  DELIVERY_ACK: 'delivered',
  READ: 'read',
  PLAYED: 'played',
  ERROR: 'failed',
};
/** Baileys' numeric WebMessageInfo status, which some builds pass through unrendered. */
const STATUS_NAMES_BY_NUMBER = ['ERROR', 'PENDING', 'SERVER_ACK', 'DELIVERY_ACK', 'READ', 'PLAYED'];

type Content = Pick<InboundMessage, 'kind' | 'text' | 'media'>;
type Skip = { reason: IgnoreReason; detail: string };
type Outcome = InboundMessage | StatusUpdate | IgnoredEvent;

/**
 * Turns one Evolution API v2 webhook into messages, statuses and ignored events, switching on
 * `event` (§3.5). `data` may hold one record or an array of them. `now` dates receipts, which
 * carry no time of their own (the envelope's date_time is local time posing as UTC, §3.3).
 * Never throws.
 */
export function parseEvolutionWebhook(body: unknown, now: () => number = Date.now): ParsedWebhook {
  const out: ParsedWebhook = { messages: [], statuses: [], ignored: [] };
  const envelope = evolutionEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    out.ignored.push(ignore(null, null, { reason: 'unknown_shape', detail: 'not an Evolution webhook' }));
    return out;
  }
  const { event, instance, data } = envelope.data;
  const instanceId = instance || null;
  // Events are configured as MESSAGES_UPSERT but posted as messages.upsert (§3.2, §3.3): take both.
  const eventName = event.toLowerCase().replaceAll('_', '.');
  const isReadable = eventName === 'messages.upsert' || eventName === 'messages.update';
  if (!isReadable) {
    out.ignored.push(ignore(instanceId, null, { reason: 'other_event', detail: `event=${eventName}` }));
    return out;
  }
  if (!instanceId) {
    out.ignored.push(
      ignore(null, null, { reason: 'unknown_shape', detail: `${eventName} without instance` }),
    );
    return out;
  }
  const parseItem =
    eventName === 'messages.upsert' ? parseUpsert : (raw: unknown, id: string) => parseUpdate(raw, id, now);
  for (const item of Array.isArray(data) ? data : [data]) pushOutcome(out, parseItem(item, instanceId));
  return out;
}

function parseUpsert(raw: unknown, instanceId: string): InboundMessage | IgnoredEvent {
  const parsed = evolutionUpsertSchema.safeParse(raw);
  if (!parsed.success) {
    return ignore(instanceId, keyIdOf(raw), {
      reason: 'unknown_shape',
      detail: 'messages.upsert did not match',
    });
  }
  const record = parsed.data;
  const { key } = record;
  const content = whyIgnored(key.remoteJid) ?? readContent(record);
  if ('reason' in content) return ignore(instanceId, key.id, content);

  const ids = [key.remoteJid, key.remoteJidAlt].flatMap((jid) => (jid ? [parseWhatsAppId(jid)] : []));
  const isFromMe = key.fromMe === true;
  // fromMe is kept: ingestion tells our own echo from a human typing on the phone (§3.5).
  return {
    provider: PROVIDER,
    instanceId,
    messageId: key.id,
    chatId: key.remoteJid,
    phone: ids.flatMap((id) => (id.kind === 'phone' ? [id.phone] : []))[0] ?? null,
    lid: ids.flatMap((id) => (id.kind === 'lid' ? [id.lid] : []))[0] ?? null,
    // On our echoes pushName is ours (or "Você"), not the lead's.
    name: isFromMe ? null : record.pushName || null,
    ...content,
    quotedId: quotedIdOf(record),
    timestampMs: record.messageTimestamp * 1000,
    fromMe: isFromMe,
    ...withReferral(referralOf(record)),
  };
}

function whyIgnored(remoteJid: string): Skip | null {
  if (parseWhatsAppId(remoteJid).kind === 'group') return { reason: 'group', detail: 'group chat' };
  if (remoteJid === 'status@broadcast') return { reason: 'status_broadcast', detail: 'status' };
  if (remoteJid.endsWith('@broadcast')) return { reason: 'status_broadcast', detail: 'broadcast list' };
  if (remoteJid.endsWith('@newsletter')) return { reason: 'newsletter', detail: 'newsletter' };
  return null;
}

function readContent(record: EvolutionUpsert): Content | Skip {
  const { message, messageType } = record;
  if (!message) return { reason: 'no_content', detail: `type=${messageType || 'unknown'} without message` };
  if (message.reactionMessage != null) return { reason: 'reaction', detail: 'type=reactionMessage' };

  const text = message.conversation || message.extendedTextMessage?.text;
  if (text?.trim()) return { kind: 'text', text, media: null };
  if (message.audioMessage) {
    const { mimetype, seconds, ptt } = message.audioMessage;
    const media = mediaRef(record, { kind: 'audio', mimetype, seconds, isVoice: ptt === true });
    return { kind: 'audio', text: null, media };
  }
  if (message.imageMessage) {
    const { mimetype, caption } = message.imageMessage;
    const media = mediaRef(record, { kind: 'image', mimetype, seconds: null, isVoice: false });
    return { kind: 'image', text: caption || null, media };
  }
  const choice = buttonText(message);
  if (choice?.trim()) return { kind: 'button', text: choice, media: null };
  if (message.conversation != null || message.extendedTextMessage) {
    return { reason: 'no_content', detail: 'empty text' };
  }
  return { reason: 'unsupported_type', detail: `type=${messageType || contentKey(message)}` };
}

function buttonText(message: EvolutionMessageContent): string | null | undefined {
  return (
    message.buttonsResponseMessage?.selectedDisplayText ??
    message.listResponseMessage?.title ??
    message.templateButtonReplyMessage?.selectedDisplayText
  );
}

type MediaFields = {
  kind: MediaRef['kind'];
  mimetype: string | null | undefined;
  seconds: number | null | undefined;
  isVoice: boolean;
};

/**
 * audioMessage.url is WhatsApp's encrypted .enc blob, useless without the media key (§3.4), so
 * the usable sources are the decrypted base64, the S3 mediaUrl, or the key id for
 * getBase64FromMediaMessage.
 */
function mediaRef(record: EvolutionUpsert, fields: MediaFields): MediaRef {
  return {
    kind: fields.kind,
    mediaId: record.key.id,
    url: record.message?.mediaUrl || null,
    base64: record.message?.base64 || null,
    mimeType: fields.mimetype || null,
    seconds: fields.seconds ?? null,
    isVoice: fields.isVoice,
  };
}

/** The quote lives in data.contextInfo, or inside the content, e.g. extendedTextMessage.contextInfo. */
function quotedIdOf(record: EvolutionUpsert): string | null {
  if (record.contextInfo?.stanzaId) return record.contextInfo.stanzaId;
  for (const content of Object.values(record.message ?? {})) {
    const stanzaId = nestedString(content, 'contextInfo', 'stanzaId');
    if (stanzaId) return stanzaId;
  }
  return null;
}

/** Like the quote, the ad sits in data.contextInfo or in the content's own contextInfo. */
function referralOf(record: EvolutionUpsert): AdReferral | undefined {
  const contexts = [
    record.contextInfo,
    ...Object.values(record.message ?? {}).map((content) => nestedObject(content, 'contextInfo')),
  ];
  for (const context of contexts) {
    const referral = readExternalAdReply(nestedObject(context, 'externalAdReply'));
    if (referral) return referral;
  }
  return undefined;
}

function parseUpdate(raw: unknown, instanceId: string, now: () => number): StatusUpdate | IgnoredEvent {
  const parsed = evolutionUpdateSchema.safeParse(raw);
  const providerMessageId = parsed.data?.keyId || parsed.data?.key?.id;
  if (!parsed.success || !providerMessageId) {
    return ignore(instanceId, null, { reason: 'unknown_shape', detail: 'messages.update did not match' });
  }
  const { status: rawStatus, fromMe } = parsed.data;
  const statusName =
    typeof rawStatus === 'number' ? (STATUS_NAMES_BY_NUMBER[rawStatus] ?? String(rawStatus)) : rawStatus;
  const status = STATUS_BY_EVOLUTION_STATUS[statusName.toUpperCase()];
  if (!status) return ignore(instanceId, null, { reason: 'other_event', detail: `status=${statusName}` });
  // A receipt for the lead's message (we read it) says nothing about our deliveries.
  if (fromMe === false) {
    return ignore(instanceId, null, { reason: 'other_event', detail: 'receipt of an inbound message' });
  }
  return { provider: PROVIDER, instanceId, providerMessageId, status, timestampMs: now(), error: null };
}

/** The first object-valued key other than metadata names the content (imageMessage, …). */
function contentKey(message: EvolutionMessageContent): string {
  const skipped = new Set(['messageContextInfo']);
  const found = Object.entries(message).find(
    ([key, value]) => !skipped.has(key) && typeof value === 'object' && value !== null,
  );
  return found?.[0] ?? 'unknown';
}

function nestedString(value: unknown, ...path: string[]): string | null {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return null;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'string' && current.length > 0 ? current : null;
}

function nestedObject(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function keyIdOf(raw: unknown): string | null {
  return nestedString(raw, 'key', 'id');
}

function pushOutcome(out: ParsedWebhook, outcome: Outcome): void {
  if ('reason' in outcome) out.ignored.push(outcome);
  else if ('providerMessageId' in outcome) out.statuses.push(outcome);
  else out.messages.push(outcome);
}

function ignore(instanceId: string | null, messageId: string | null, skip: Skip): IgnoredEvent {
  return { provider: PROVIDER, instanceId, messageId, reason: skip.reason, detail: skip.detail };
}
