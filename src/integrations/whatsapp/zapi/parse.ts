import { parseWhatsAppId } from '../../../domain/phone.js';
import { readExternalAdReply, withReferral } from '../referral.js';
import type { DeliveryStatus, IgnoredEvent, IgnoreReason, InboundMessage, ParsedWebhook } from '../types.js';
import {
  type ZapiReceived,
  zapiDeliverySchema,
  zapiEnvelopeSchema,
  zapiMessageStatusSchema,
  zapiReceivedSchema,
} from './webhook.schemas.js';

const PROVIDER = 'zapi';

/** §2.5. READ_BY_ME (we read the lead's message) and PENDING are not about delivery. */
const STATUS_BY_ZAPI_STATUS: Readonly<Record<string, DeliveryStatus>> = {
  SENT: 'sent',
  RECEIVED: 'delivered',
  READ: 'read',
  PLAYED: 'played',
};

type Content = Pick<InboundMessage, 'kind' | 'text' | 'media'>;
type Skip = { reason: IgnoreReason; detail: string };

/**
 * Turns one Z-API callback into messages, statuses and ignored events, switching on `type`
 * (§2.2: with update-every-webhooks all callbacks share one URL). `now` dates callbacks that
 * carry no time (DeliveryCallback). Never throws.
 */
export function parseZapiWebhook(body: unknown, now: () => number = Date.now): ParsedWebhook {
  const envelope = zapiEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    return ignoredOnly(null, null, { reason: 'unknown_shape', detail: 'not a Z-API callback' });
  }
  const { type, instanceId = null } = envelope.data;
  // The docs table writes "ReceivedCallBack" while the examples send "ReceivedCallback" (§2.4).
  switch (type.toLowerCase()) {
    case 'receivedcallback':
      return parseReceived(body, now);
    case 'messagestatuscallback':
      return parseMessageStatus(body, now);
    case 'deliverycallback':
      return parseDelivery(body, now);
    default:
      return ignoredOnly(instanceId, null, { reason: 'other_event', detail: `type=${type}` });
  }
}

function parseReceived(body: unknown, now: () => number): ParsedWebhook {
  const parsed = zapiReceivedSchema.safeParse(body);
  if (!parsed.success) {
    const skip: Skip = { reason: 'unknown_shape', detail: 'ReceivedCallback did not match' };
    return ignoredOnly(stringField(body, 'instanceId'), stringField(body, 'messageId'), skip);
  }
  const received = parsed.data;
  const content = whyIgnored(received) ?? readContent(received, body);
  if ('reason' in content) return ignoredOnly(received.instanceId, received.messageId, content);

  const chat = parseWhatsAppId(received.phone);
  const isFromMe = received.fromMe === true;
  // fromMe is kept: ingestion tells our own echo from a human typing on the phone (§0.4).
  const message: InboundMessage = {
    provider: PROVIDER,
    instanceId: received.instanceId,
    messageId: received.messageId,
    chatId: received.phone,
    phone: chat.kind === 'phone' ? chat.phone : null,
    // Z-API calls the lid the most stable key [Z7]. On our own echoes senderLid is us.
    lid:
      chat.kind === 'lid'
        ? chat.lid
        : (lidOf(received.chatLid) ?? (isFromMe ? null : lidOf(received.senderLid))),
    // On our echoes senderName is the business itself, not the lead.
    name: isFromMe ? null : received.senderName || null,
    ...content,
    quotedId: received.referenceMessageId || null,
    timestampMs: received.momment ?? received.moment ?? now(),
    fromMe: isFromMe,
    ...withReferral(readExternalAdReply(received.externalAdReply)),
  };
  return { messages: [message], statuses: [], ignored: [] };
}

function whyIgnored(received: ZapiReceived): Skip | null {
  const chatKind = parseWhatsAppId(received.phone).kind;
  if (received.isGroup || chatKind === 'group') return { reason: 'group', detail: 'group chat' };
  if (received.isNewsletter || received.phone.endsWith('@newsletter')) {
    return { reason: 'newsletter', detail: 'newsletter' };
  }
  if (received.broadcast || received.isStatusReply) {
    return { reason: 'status_broadcast', detail: received.broadcast ? 'broadcast' : 'status reply' };
  }
  // WhatsApp's "waiting for this message" placeholder: no content yet (§2.4).
  if (received.waitingMessage) return { reason: 'waiting_message', detail: 'waiting for message' };
  if (received.notification) {
    return { reason: 'notification', detail: `notification=${received.notification}` };
  }
  if (received.reaction != null) return { reason: 'reaction', detail: 'reaction' };
  return null;
}

/** The kind is whichever content key is present (§2.4). */
function readContent(received: ZapiReceived, body: unknown): Content | Skip {
  const { text, audio, image, buttonsResponseMessage: button, listResponseMessage: list } = received;
  if (text) {
    return text.message?.trim()
      ? { kind: 'text', text: text.message, media: null }
      : { reason: 'no_content', detail: 'empty text' };
  }
  if (audio) {
    const media = { kind: 'audio' as const, mediaId: null, url: audio.audioUrl || null, base64: null };
    return {
      kind: 'audio',
      text: null,
      media: {
        ...media,
        mimeType: audio.mimeType || null,
        seconds: audio.seconds ?? null,
        isVoice: audio.ptt === true,
      },
    };
  }
  if (image) {
    const media = { kind: 'image' as const, mediaId: null, url: image.imageUrl || null, base64: null };
    return {
      kind: 'image',
      text: image.caption || null,
      media: { ...media, mimeType: image.mimeType || null, seconds: null, isVoice: false },
    };
  }
  // `title` is the picked row; `message` is the fallback when a build leaves it empty (§2.4).
  const choice = button ? button.message : list ? list.title || list.message : undefined;
  if (choice?.trim()) return { kind: 'button', text: choice, media: null };
  if (button || list) return { reason: 'no_content', detail: 'empty button reply' };
  return { reason: 'unsupported_type', detail: `type=${contentKey(body)}` };
}

function parseMessageStatus(body: unknown, now: () => number): ParsedWebhook {
  const parsed = zapiMessageStatusSchema.safeParse(body);
  if (!parsed.success) {
    const skip: Skip = { reason: 'unknown_shape', detail: 'MessageStatusCallback did not match' };
    return ignoredOnly(stringField(body, 'instanceId'), null, skip);
  }
  const { instanceId, status: zapiStatus, ids, id, momment } = parsed.data;
  const status = STATUS_BY_ZAPI_STATUS[zapiStatus.toUpperCase()];
  if (!status) {
    return ignoredOnly(instanceId, null, { reason: 'other_event', detail: `status=${zapiStatus}` });
  }
  const messageIds = ids ?? (id ? [id] : []);
  if (messageIds.length === 0) {
    return ignoredOnly(instanceId, null, { reason: 'unknown_shape', detail: 'status without ids' });
  }
  const timestampMs = momment ?? now();
  const statuses = messageIds.map((providerMessageId) => ({
    provider: PROVIDER,
    instanceId,
    providerMessageId,
    status,
    timestampMs,
    error: null,
  })) satisfies ParsedWebhook['statuses'];
  return { messages: [], statuses, ignored: [] };
}

/** Our message reached WhatsApp; not that the lead received it (§2.5). */
function parseDelivery(body: unknown, now: () => number): ParsedWebhook {
  const parsed = zapiDeliverySchema.safeParse(body);
  if (!parsed.success) {
    const skip: Skip = { reason: 'unknown_shape', detail: 'DeliveryCallback did not match' };
    return ignoredOnly(stringField(body, 'instanceId'), null, skip);
  }
  const { instanceId, messageId, momment } = parsed.data;
  const update = {
    provider: PROVIDER,
    instanceId,
    providerMessageId: messageId,
    status: 'sent',
    timestampMs: momment ?? now(),
    error: null,
  } satisfies ParsedWebhook['statuses'][number];
  return { messages: [], statuses: [update], ignored: [] };
}

/** The first object-valued key names the content: video, document, sticker, location… */
function contentKey(body: unknown): string {
  const entries = Object.entries(body as Record<string, unknown>);
  const found = entries.find(
    ([, value]) => typeof value === 'object' && value !== null && !Array.isArray(value),
  );
  return found?.[0] ?? 'unknown';
}

function lidOf(value: string | null | undefined): string | null {
  if (!value) return null;
  const id = parseWhatsAppId(value);
  return id.kind === 'lid' ? id.lid : null;
}

function stringField(body: unknown, key: string): string | null {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function ignoredOnly(instanceId: string | null, messageId: string | null, skip: Skip): ParsedWebhook {
  const event: IgnoredEvent = { provider: PROVIDER, instanceId, messageId, ...skip };
  return { messages: [], statuses: [], ignored: [event] };
}
