/**
 * What every WhatsApp provider adapter produces and accepts. Parsers turn a webhook body into
 * a ParsedWebhook; clients send text and fetch media. Shapes follow shared/contracts/whatsapp.md.
 */

export const WHATSAPP_PROVIDER_NAMES = ['meta', 'zapi', 'evolution', 'console'] as const;
export type WhatsAppProviderName = (typeof WHATSAPP_PROVIDER_NAMES)[number];

export type MediaRef = {
  kind: 'audio' | 'image';
  /** Meta media id (GET /{media-id} → url) or Evolution message key id (getBase64FromMediaMessage). */
  mediaId: string | null;
  /** Direct URL: Z-API storage URL, Meta's `url` when present (needs the Bearer token). */
  url: string | null;
  /** Evolution's decrypted media when its webhook `base64` option is on. */
  base64: string | null;
  mimeType: string | null;
  seconds: number | null;
  /** A voice note recorded in the app (Meta `voice`, Z-API/Evolution `ptt`). */
  isVoice: boolean;
};

export type InboundKind = 'text' | 'audio' | 'image' | 'button';

/**
 * The click-to-WhatsApp ad (or boosted post) that opened the chat: Meta's `referral`, the
 * `externalAdReply` of Z-API and Evolution (Baileys). WhatsApp sends it on the first message
 * after the click only. Ad metadata, not personal data; shown to the operator as the lead's origin.
 */
export type AdReferral = {
  /** 'ad' or 'post' as the provider says; null when it does not. */
  sourceType: string | null;
  /** The ad (or post) id. */
  sourceId: string | null;
  sourceUrl: string | null;
  /** The ad's headline (Meta `headline`, Baileys `title`). */
  headline: string | null;
  /** Meta's click id, for the Conversions API; Baileys `ctwaClid`. */
  ctwaClid: string | null;
};

export type InboundMessage = {
  provider: WhatsAppProviderName;
  /** The receiving account: Meta phone_number_id, Z-API instanceId, Evolution instance name. */
  instanceId: string;
  messageId: string;
  /** Where a reply goes, exactly as the provider gave it (digits, JID or …@lid). Never rebuilt. */
  chatId: string;
  /** The lead's phone as E.164 digits without '+', when the payload carries it. */
  phone: string | null;
  /** WhatsApp's privacy alias (`…@lid`) when present: a stable key when the phone is hidden. */
  lid: string | null;
  /** Display name the lead set in WhatsApp; personal data, never logged. */
  name: string | null;
  kind: InboundKind;
  /** Text body, media caption, or the tapped button/list row title. */
  text: string | null;
  media: MediaRef | null;
  /** Provider id of the message this one quotes, if any. */
  quotedId: string | null;
  timestampMs: number;
  /**
   * Sent by the connected number itself: our own API sends echoed back, or a human answering
   * from the phone app. Ingestion tells the two apart through the outbox.
   */
  fromMe: boolean;
  /** Present only when the message came through a click-to-WhatsApp ad. */
  referral?: AdReferral;
};

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'played' | 'failed';

export type StatusUpdate = {
  provider: WhatsAppProviderName;
  instanceId: string;
  /** Provider id of OUR outgoing message. */
  providerMessageId: string;
  status: DeliveryStatus;
  timestampMs: number;
  error: { code: string; message: string } | null;
  /** Our reference set on the send, echoed back in receipts (Meta's biz_opaque_callback_data). */
  reference?: string;
};

export type IgnoreReason =
  | 'group'
  | 'reaction'
  | 'status_broadcast'
  | 'newsletter'
  | 'waiting_message'
  | 'notification'
  | 'unsupported_type'
  | 'no_content'
  | 'other_event'
  | 'unknown_shape';

export type IgnoredEvent = {
  provider: WhatsAppProviderName;
  instanceId: string | null;
  /** Provider message id when the event has one (so redeliveries dedupe), else null. */
  messageId: string | null;
  reason: IgnoreReason;
  /** Short, non-personal explanation for the operator, e.g. "type=sticker". */
  detail: string;
};

export type ParsedWebhook = {
  messages: InboundMessage[];
  statuses: StatusUpdate[];
  ignored: IgnoredEvent[];
};

export type SendTextInput = {
  /** chatId of the conversation, as the provider gave it. */
  to: string;
  /** One bubble, already within the provider's maxTextLength. */
  text: string;
  quotedId?: string;
  /**
   * Our id for this send, echoed back by providers that support it (Meta returns it in the
   * receipts), so a send whose answer was lost is still recognised and not sent again.
   */
  reference?: string;
};

export type SendResult = {
  /** Provider id of the sent message (Meta wamid, Z-API messageId, Evolution key.id). */
  providerMessageId: string | null;
};

export type FetchedMedia = { bytes: Buffer; mimeType: string | null };

export type FetchMediaOptions = { maxBytes: number; timeoutMs: number };

/** The outbound half of a provider. Errors are UpstreamError (src/errors.ts). */
export type WhatsAppClient = {
  provider: WhatsAppProviderName;
  /** Largest text one message may carry on this provider. */
  maxTextLength: number;
  sendText(input: SendTextInput): Promise<SendResult>;
  fetchMedia(ref: MediaRef, options: FetchMediaOptions): Promise<FetchedMedia>;
};
