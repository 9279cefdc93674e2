import { Agent, interceptors, request } from 'undici';
import { UpstreamError } from '../../../errors.js';
import {
  parseJsonBody,
  type ResponseHeaders,
  upstreamErrorFromResponse,
  upstreamErrorFromTransport,
} from '../../http-errors.js';
import { decodeBase64Limited, downloadLimited, pickMimeType, readBodyText } from '../download.js';
import type { FetchMediaOptions, MediaRef, SendTextInput, WhatsAppClient } from '../types.js';
import {
  evolutionErrorSchema,
  evolutionMediaResponseSchema,
  evolutionNumberCheckSchema,
  evolutionSendResponseSchema,
} from './schemas.js';

/** Evolution API v2 (shared/contracts/whatsapp.md §3), read from v2.3.6 source. */

const SYSTEM = 'whatsapp-evolution';
// Evolution documents no limit of its own; 4096 keeps splitting identical to Meta's (§1.5).
const MAX_TEXT_LENGTH = 4096;
const RESPONSE_MAX_BYTES = 256 * 1024;
const MAX_REDIRECTS = 3;
// getBase64FromMediaMessage wraps the base64 in a JSON record (file name, caption, sizes).
const MEDIA_ENVELOPE_BYTES = 64 * 1024;

export type EvolutionClientOptions = {
  baseUrl: string;
  apiKey: string;
  instance: string;
  timeoutMs: number;
};

export type EvolutionClient = WhatsAppClient & { close(): Promise<void> };

function isNotOnWhatsApp(message: unknown): boolean {
  return (
    Array.isArray(message) &&
    message.some((entry) => {
      const check = evolutionNumberCheckSchema.safeParse(entry);
      return check.success && !check.data.exists;
    })
  );
}

// `response.message` is a string, a list of strings (validation) or a list of objects.
function describeMessage(message: unknown): string {
  const entries = Array.isArray(message) ? message : [message];
  return entries
    .filter((entry) => entry !== undefined && entry !== null)
    .map((entry) => (typeof entry === 'string' ? entry : JSON.stringify(entry)))
    .join('; ');
}

// §3.4: `audioMessage.url` is WhatsApp's encrypted CDN blob (.enc), useless without the media
// key; when a parser passes one along, the message id (decrypted by Evolution) is the way.
function isEncryptedWhatsAppUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { hostname, pathname } = new URL(url);
  return hostname.endsWith('.whatsapp.net') || pathname.endsWith('.enc');
}

function evolutionErrorFromResponse(
  status: number,
  headers: ResponseHeaders,
  bodyText: string,
): UpstreamError {
  const parsed = evolutionErrorSchema.safeParse(parseJsonBody(bodyText));
  const message = parsed.success ? parsed.data.response?.message : undefined;
  const detail = describeMessage(message);
  const title = parsed.success ? parsed.data.error : undefined;
  // 401s read `{error: 'Unauthorized', response: {message: 'Unauthorized'}}`: say it once.
  const parts = title && title !== detail ? [title, detail] : [detail];
  const text = `(Evolution: ${parts.filter(Boolean).join(': ') || bodyText})`;
  if (status === 400 && isNotOnWhatsApp(message)) {
    // §3.1: Evolution checks the number before sending; the same number will fail again.
    return upstreamErrorFromResponse(SYSTEM, status, headers, 'recipient is not on WhatsApp', {
      retryable: false,
    });
  }
  if (status === 401 || status === 403) {
    const hint = `apikey rejected, check EVOLUTION_API_KEY ${text}`;
    return upstreamErrorFromResponse(SYSTEM, status, headers, hint, { retryable: false });
  }
  if (status === 404 && /instance/i.test(detail)) {
    const hint = `instance not found, check EVOLUTION_INSTANCE ${text}`;
    return upstreamErrorFromResponse(SYSTEM, status, headers, hint, { retryable: false });
  }
  return upstreamErrorFromResponse(SYSTEM, status, headers, text);
}

export function createEvolutionClient({
  baseUrl,
  apiKey,
  instance,
  timeoutMs,
}: EvolutionClientOptions): EvolutionClient {
  const agent = new Agent();
  const mediaDispatcher = agent.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }));
  const instancePath = encodeURIComponent(instance);
  const apiHeaders = { 'content-type': 'application/json', apikey: apiKey };

  async function sendText({ to, text, quotedId }: SendTextInput) {
    // §3.1: `quoted.key.id` is enough when Evolution stored the quoted message.
    const payload = { number: to, text, ...(quotedId ? { quoted: { key: { id: quotedId } } } : {}) };
    let result: { status: number; headers: ResponseHeaders; text: string };
    try {
      const response = await request(`${baseUrl}/message/sendText/${instancePath}`, {
        dispatcher: agent,
        method: 'POST',
        headers: apiHeaders,
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await readBodyText(response.body, RESPONSE_MAX_BYTES);
      result = { status: response.statusCode, headers: response.headers, text: body };
    } catch (error) {
      throw upstreamErrorFromTransport(SYSTEM, error);
    }
    // §3.1: success is 201; any 2xx is taken as accepted.
    if (result.status < 200 || result.status > 299) {
      throw evolutionErrorFromResponse(result.status, result.headers, result.text);
    }
    // A 2xx means the send was accepted; an unreadable id must not turn it into a retry.
    const parsed = evolutionSendResponseSchema.safeParse(parseJsonBody(result.text));
    return { providerMessageId: parsed.success ? parsed.data.key.id : null };
  }

  async function fetchBase64FromMessage(mediaId: string, maxBytes: number, signal: AbortSignal) {
    // §3.4 (b): Evolution decrypts the WhatsApp media and answers it as base64 in JSON.
    const answer = await downloadLimited({
      system: SYSTEM,
      dispatcher: agent,
      url: `${baseUrl}/chat/getBase64FromMediaMessage/${instancePath}`,
      method: 'POST',
      headers: apiHeaders,
      body: JSON.stringify({ message: { key: { id: mediaId } }, convertToMp4: false }),
      // base64 is 4/3 of the bytes; the JSON body is bounded before the decoded size is checked.
      maxBytes: Math.ceil(maxBytes / 3) * 4 + MEDIA_ENVELOPE_BYTES,
      signal,
      toError: evolutionErrorFromResponse,
    });
    const parsed = evolutionMediaResponseSchema.safeParse(parseJsonBody(answer.bytes.toString('utf8')));
    if (!parsed.success) {
      throw new UpstreamError(SYSTEM, 'getBase64FromMediaMessage answered without base64', {
        retryable: false,
      });
    }
    const media = decodeBase64Limited(SYSTEM, parsed.data.base64, maxBytes);
    return { bytes: media.bytes, mimeType: pickMimeType(media.mimeType, parsed.data.mimetype) };
  }

  async function fetchMedia(ref: MediaRef, { maxBytes, timeoutMs: downloadTimeoutMs }: FetchMediaOptions) {
    if (ref.base64) {
      // §3.4 (a): the webhook already carried the decrypted media.
      const media = decodeBase64Limited(SYSTEM, ref.base64, maxBytes);
      return { bytes: media.bytes, mimeType: pickMimeType(media.mimeType, ref.mimeType) };
    }
    const signal = AbortSignal.timeout(downloadTimeoutMs);
    if (ref.url && !isEncryptedWhatsAppUrl(ref.url)) {
      // §3.4 `mediaUrl`: S3/MinIO storage, not Evolution, so the apikey is not sent there.
      const media = await downloadLimited({
        system: SYSTEM,
        dispatcher: mediaDispatcher,
        url: ref.url,
        maxBytes,
        signal,
        toError: (status, headers, bodyText) => upstreamErrorFromResponse(SYSTEM, status, headers, bodyText),
      });
      return { bytes: media.bytes, mimeType: pickMimeType(media.mimeType, ref.mimeType) };
    }
    if (ref.mediaId) {
      const media = await fetchBase64FromMessage(ref.mediaId, maxBytes, signal);
      return { bytes: media.bytes, mimeType: pickMimeType(media.mimeType, ref.mimeType) };
    }
    throw new UpstreamError(SYSTEM, 'media reference has no base64, url or message id', { retryable: false });
  }

  return {
    provider: 'evolution',
    maxTextLength: MAX_TEXT_LENGTH,
    sendText,
    fetchMedia,
    close: () => agent.close(),
  };
}
