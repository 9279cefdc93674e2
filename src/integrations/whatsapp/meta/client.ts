import { Agent, interceptors, request } from 'undici';
import { UpstreamError } from '../../../errors.js';
import {
  parseJsonBody,
  type ResponseHeaders,
  upstreamErrorFromResponse,
  upstreamErrorFromTransport,
} from '../../http-errors.js';
import {
  downloadLimited,
  type ErrorResponseMapper,
  mediaTooLarge,
  pickMimeType,
  readBodyText,
} from '../download.js';
import type { FetchMediaOptions, MediaRef, SendTextInput, WhatsAppClient } from '../types.js';
import { type MetaError, metaErrorSchema, metaMediaInfoSchema, metaSendResponseSchema } from './schemas.js';

/** Meta WhatsApp Cloud API (shared/contracts/whatsapp.md §1). */

const SYSTEM = 'whatsapp-meta';
// §1.5: a text body carries at most 4096 characters.
const MAX_TEXT_LENGTH = 4096;
const RESPONSE_MAX_BYTES = 256 * 1024;
const MAX_REDIRECTS = 3;

// §1.8 codes where waiting helps, with a wait hint for when no Retry-After comes along:
// 131056 is the pair limit (one message per 6 s to the same user), 131057 a ≈1 min upgrade.
const RETRYABLE_CODES = new Map<number, number | undefined>([
  [130429, undefined],
  [131056, 6_000],
  [131057, 60_000],
]);
const INVALID_TOKEN_CODE = 190;
const OUTSIDE_WINDOW_CODE = 131047;

export type MetaClientOptions = {
  graphUrl: string;
  accessToken: string;
  phoneNumberId: string;
  timeoutMs: number;
};

export type MetaClient = WhatsAppClient & { close(): Promise<void> };

function describeGraphError(error: MetaError): string {
  const code =
    error.code === undefined
      ? ''
      : ` (code ${error.code}${error.error_subcode ? `/${error.error_subcode}` : ''})`;
  const details = error.error_data?.details ? `: ${error.error_data.details}` : '';
  return `${error.message ?? error.type ?? 'Graph API error'}${code}${details}`;
}

/** §1.8: decide on `code`, not on titles; the same code can arrive with different statuses. */
function metaErrorFromResponse(status: number, headers: ResponseHeaders, bodyText: string): UpstreamError {
  const parsed = metaErrorSchema.safeParse(parseJsonBody(bodyText));
  const graph = parsed.success ? parsed.data.error : undefined;
  const graphText = graph ? describeGraphError(graph) : bodyText;
  const details = graph
    ? { code: graph.code, subcode: graph.error_subcode, fbtraceId: graph.fbtrace_id }
    : undefined;
  if (graph?.code === INVALID_TOKEN_CODE || status === 401) {
    // Retrying with the same token cannot work; a person has to issue a new one.
    const message = `access token expired or invalid, refresh META_ACCESS_TOKEN (Graph: ${graphText})`;
    return upstreamErrorFromResponse(SYSTEM, status, headers, message, { retryable: false, details });
  }
  if (graph?.code === OUTSIDE_WINDOW_CODE) {
    const message = `more than 24 h since the lead last wrote, only a template can be sent (Graph: ${graphText})`;
    return upstreamErrorFromResponse(SYSTEM, status, headers, message, { retryable: false, details });
  }
  if (graph?.code !== undefined && RETRYABLE_CODES.has(graph.code)) {
    const retryAfterMs = RETRYABLE_CODES.get(graph.code);
    return upstreamErrorFromResponse(SYSTEM, status, headers, graphText, {
      retryable: true,
      retryAfterMs,
      details,
    });
  }
  return upstreamErrorFromResponse(SYSTEM, status, headers, graphText, { details });
}

/** §1.7: a 404 on a URL we just looked up means "look it up again", which a retry does. */
const freshUrlMayHelp: ErrorResponseMapper = (status, headers, bodyText) => {
  if (status !== 404) return metaErrorFromResponse(status, headers, bodyText);
  const message = 'media URL expired or not found, a new lookup may help';
  return upstreamErrorFromResponse(SYSTEM, status, headers, message, { retryable: true });
};

export function createMetaClient({
  graphUrl,
  accessToken,
  phoneNumberId,
  timeoutMs,
}: MetaClientOptions): MetaClient {
  const agent = new Agent();
  // Only media downloads follow redirects; undici drops Authorization when one changes origin.
  const mediaDispatcher = agent.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }));
  const authorization = `Bearer ${accessToken}`;

  async function callGraph(url: string, signal: AbortSignal, payload?: unknown): Promise<unknown> {
    let result: { status: number; headers: ResponseHeaders; text: string };
    try {
      const response = await request(url, {
        dispatcher: agent,
        method: payload === undefined ? 'GET' : 'POST',
        headers: {
          authorization,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal,
      });
      const text = await readBodyText(response.body, RESPONSE_MAX_BYTES);
      result = { status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      throw upstreamErrorFromTransport(SYSTEM, error);
    }
    if (result.status < 200 || result.status > 299) {
      throw metaErrorFromResponse(result.status, result.headers, result.text);
    }
    return parseJsonBody(result.text);
  }

  async function sendText({ to, text, quotedId, reference }: SendTextInput) {
    // §1.5; `context.message_id` turns the bubble into a quoted reply. Meta echoes
    // `biz_opaque_callback_data` in every receipt of the message (§1.4): Meta has no echo of our
    // sends, so the receipt is how a send whose answer was lost is recognised.
    const payload = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      type: 'text',
      text: { preview_url: false, body: text },
      ...(quotedId ? { context: { message_id: quotedId } } : {}),
      ...(reference ? { biz_opaque_callback_data: reference } : {}),
    };
    const url = `${graphUrl}/${encodeURIComponent(phoneNumberId)}/messages`;
    const answer = await callGraph(url, AbortSignal.timeout(timeoutMs), payload);
    // A 2xx means Meta accepted the message; failing now would make a retry send it twice,
    // so an unreadable id degrades to null instead of an error.
    const parsed = metaSendResponseSchema.safeParse(answer);
    return { providerMessageId: parsed.success ? (parsed.data.messages[0]?.id ?? null) : null };
  }

  function download(url: string, maxBytes: number, signal: AbortSignal, toError = metaErrorFromResponse) {
    // §1.7: the media URL needs the same Bearer token as the Graph call.
    return downloadLimited({
      system: SYSTEM,
      dispatcher: mediaDispatcher,
      url,
      headers: { authorization },
      maxBytes,
      signal,
      toError,
    });
  }

  async function fetchMedia(ref: MediaRef, { maxBytes, timeoutMs: downloadTimeoutMs }: FetchMediaOptions) {
    // One deadline for both steps: the caller budgets the whole download, not each request.
    const signal = AbortSignal.timeout(downloadTimeoutMs);
    if (ref.mediaId) {
      // §1.7 step 1: the id resolves to a URL that lives 5 minutes, so it is never cached.
      const info = metaMediaInfoSchema.safeParse(
        await callGraph(`${graphUrl}/${encodeURIComponent(ref.mediaId)}`, signal),
      );
      if (!info.success) {
        throw new UpstreamError(SYSTEM, 'media lookup answered without a url', { retryable: false });
      }
      const declaredBytes = info.data.file_size;
      if (declaredBytes !== undefined && declaredBytes > maxBytes) {
        throw mediaTooLarge(SYSTEM, maxBytes, { declaredBytes });
      }
      const media = await download(info.data.url, maxBytes, signal, freshUrlMayHelp);
      return {
        bytes: media.bytes,
        mimeType: pickMimeType(media.mimeType, info.data.mime_type, ref.mimeType),
      };
    }
    if (ref.url) {
      const media = await download(ref.url, maxBytes, signal);
      return { bytes: media.bytes, mimeType: pickMimeType(media.mimeType, ref.mimeType) };
    }
    throw new UpstreamError(SYSTEM, 'media reference has neither a media id nor a url', { retryable: false });
  }

  return {
    provider: 'meta',
    maxTextLength: MAX_TEXT_LENGTH,
    sendText,
    fetchMedia,
    close: () => agent.close(),
  };
}
