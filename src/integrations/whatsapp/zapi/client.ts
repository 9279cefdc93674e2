import { Agent, interceptors, request } from 'undici';
import { UpstreamError } from '../../../errors.js';
import {
  parseJsonBody,
  type ResponseHeaders,
  upstreamErrorFromResponse,
  upstreamErrorFromTransport,
} from '../../http-errors.js';
import { downloadLimited, pickMimeType, readBodyText } from '../download.js';
import type { FetchMediaOptions, MediaRef, SendTextInput, WhatsAppClient } from '../types.js';
import { zapiErrorSchema, zapiSendResponseSchema } from './schemas.js';

/**
 * Z-API (shared/contracts/whatsapp.md §2). The instance token travels in the URL path, so no
 * URL of this client ever goes into an error message or a log line: everything that could echo
 * it (a provider's "Cannot POST /instances/…/token/…" page, a transport error) is masked.
 */

const SYSTEM = 'whatsapp-zapi';
// Unconfirmed: Z-API documents no text limit (§2.1). 4096 matches Meta's documented limit so
// replies split the same way on every provider.
const MAX_TEXT_LENGTH = 4096;
const RESPONSE_MAX_BYTES = 256 * 1024;
const MAX_REDIRECTS = 3;
const MASK = '***';

export type ZapiClientOptions = {
  baseUrl: string;
  instanceId: string;
  token: string;
  /** Account security token; required once activated in the Z-API panel (§2.1). */
  clientToken?: string;
  timeoutMs: number;
};

export type ZapiClient = WhatsAppClient & { close(): Promise<void> };

// Z-API answers `{"error": "null not allowed"}` (or "your client-token is not configured") when
// the Client-Token header is missing or unknown (§2.1); the status is not documented.
const CLIENT_TOKEN_PROBLEM = /client-token|null not allowed/i;

function providerText(bodyText: string): string {
  const parsed = zapiErrorSchema.safeParse(parseJsonBody(bodyText));
  if (!parsed.success) return bodyText;
  const parts = [parsed.data.error, parsed.data.message].filter((part): part is string => Boolean(part));
  return parts.length > 0 ? parts.join(': ') : bodyText;
}

export function createZapiClient({
  baseUrl,
  instanceId,
  token,
  clientToken,
  timeoutMs,
}: ZapiClientOptions): ZapiClient {
  const agent = new Agent();
  const mediaDispatcher = agent.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }));
  const sendUrl = `${baseUrl}/instances/${encodeURIComponent(instanceId)}/token/${encodeURIComponent(token)}/send-text`;

  function mask(text: string): string {
    if (!token) return text;
    return text.split(token).join(MASK).split(encodeURIComponent(token)).join(MASK);
  }

  function zapiErrorFromResponse(status: number, headers: ResponseHeaders, bodyText: string): UpstreamError {
    const text = `(Z-API: ${mask(providerText(bodyText))})`;
    if (CLIENT_TOKEN_PROBLEM.test(text)) {
      const message = `Client-Token missing or rejected, set ZAPI_CLIENT_TOKEN to the account security token ${text}`;
      return upstreamErrorFromResponse(SYSTEM, status, headers, message, { retryable: false });
    }
    if (status === 401 || status === 403) {
      const message = `credentials rejected, check ZAPI_INSTANCE_ID, ZAPI_TOKEN and ZAPI_CLIENT_TOKEN ${text}`;
      return upstreamErrorFromResponse(SYSTEM, status, headers, message, { retryable: false });
    }
    return upstreamErrorFromResponse(SYSTEM, status, headers, text);
  }

  function maskedTransportError(error: unknown): UpstreamError {
    const mapped = upstreamErrorFromTransport(SYSTEM, error);
    mapped.message = mask(mapped.message);
    return mapped;
  }

  async function sendText({ to, text, quotedId }: SendTextInput) {
    // §2.1: `messageId` quotes the lead's message.
    const payload = { phone: to, message: text, ...(quotedId ? { messageId: quotedId } : {}) };
    let result: { status: number; headers: ResponseHeaders; text: string };
    try {
      const response = await request(sendUrl, {
        dispatcher: agent,
        method: 'POST',
        // §2.1: without Content-Type Z-API answers 415.
        headers: {
          'content-type': 'application/json',
          ...(clientToken ? { 'client-token': clientToken } : {}),
        },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await readBodyText(response.body, RESPONSE_MAX_BYTES);
      result = { status: response.statusCode, headers: response.headers, text: body };
    } catch (error) {
      throw maskedTransportError(error);
    }
    if (result.status < 200 || result.status > 299) {
      throw zapiErrorFromResponse(result.status, result.headers, result.text);
    }
    // A 2xx means the send was accepted; an unreadable id must not turn it into a retry.
    const parsed = zapiSendResponseSchema.safeParse(parseJsonBody(result.text));
    return { providerMessageId: parsed.success ? (parsed.data.messageId ?? parsed.data.id ?? null) : null };
  }

  async function fetchMedia(ref: MediaRef, { maxBytes, timeoutMs: downloadTimeoutMs }: FetchMediaOptions) {
    if (!ref.url) {
      // §2.4: received media only comes as a storage URL; no fetch-by-id is documented.
      throw new UpstreamError(SYSTEM, 'media reference has no url', { retryable: false });
    }
    try {
      // §2.4: storage URLs are shown without auth headers, so our tokens are not sent there.
      const media = await downloadLimited({
        system: SYSTEM,
        dispatcher: mediaDispatcher,
        url: ref.url,
        maxBytes,
        signal: AbortSignal.timeout(downloadTimeoutMs),
        toError: (status, headers, bodyText) =>
          status === 404 || status === 410
            ? upstreamErrorFromResponse(
                SYSTEM,
                status,
                headers,
                'media file is gone (Z-API keeps it 30 days)',
                {
                  retryable: false,
                },
              )
            : upstreamErrorFromResponse(SYSTEM, status, headers, mask(bodyText)),
      });
      return { bytes: media.bytes, mimeType: pickMimeType(media.mimeType, ref.mimeType) };
    } catch (error) {
      throw maskedTransportError(error);
    }
  }

  return {
    provider: 'zapi',
    maxTextLength: MAX_TEXT_LENGTH,
    sendText,
    fetchMedia,
    close: () => agent.close(),
  };
}
