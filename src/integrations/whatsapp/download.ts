import { type Dispatcher, request } from 'undici';
import { UpstreamError } from '../../errors.js';
import { type ResponseHeaders, readHeader, upstreamErrorFromTransport } from '../http-errors.js';
import type { FetchedMedia } from './types.js';

/**
 * Media downloads shared by the three WhatsApp clients. Media comes from places we don't
 * control (a lead's upload, a provider's storage), so the byte limit is enforced while the body
 * streams in: a huge or endless body costs at most `maxBytes` plus one socket chunk of memory,
 * never the whole file.
 */

type ResponseBody = Dispatcher.ResponseData['body'];

export type ErrorResponseMapper = (
  status: number,
  headers: ResponseHeaders,
  bodyText: string,
) => UpstreamError;

export type DownloadRequest = {
  system: string;
  dispatcher: Dispatcher;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  maxBytes: number;
  /** Covers connecting, headers and the whole body. */
  signal: AbortSignal;
  /** Reads the provider's error shape out of a non-2xx answer. */
  toError: ErrorResponseMapper;
};

// Enough for any provider's JSON error; the rest of a huge error page is not worth reading.
const ERROR_BODY_MAX_BYTES = 64 * 1024;

export function mediaTooLarge(
  system: string,
  maxBytes: number,
  details: { declaredBytes?: number; receivedBytes?: number },
): UpstreamError {
  const size = details.declaredBytes ?? details.receivedBytes;
  const how = details.declaredBytes !== undefined ? 'declares' : 'exceeded';
  return new UpstreamError(system, `media ${how} ${size} bytes, over the ${maxBytes}-byte limit`, {
    // The same file will be just as large next time.
    retryable: false,
    details: { maxBytes, ...details },
  });
}

/** Reads until the body ends or passes `maxBytes`; on overflow the connection is torn down at once. */
export async function readBodyLimited(
  body: ResponseBody,
  maxBytes: number,
): Promise<{ bytes: Buffer; receivedBytes: number; isOverLimit: boolean }> {
  const chunks: Buffer[] = [];
  let receivedBytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    receivedBytes += chunk.length;
    if (receivedBytes > maxBytes) {
      // destroy() closes the socket instead of draining it: the server sees the hang-up now.
      body.destroy();
      return { bytes: Buffer.concat(chunks), receivedBytes, isOverLimit: true };
    }
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks), receivedBytes, isOverLimit: false };
}

/** A response body as text, truncated at `maxBytes` (for JSON answers and error pages). */
export async function readBodyText(
  body: ResponseBody,
  maxBytes: number = ERROR_BODY_MAX_BYTES,
): Promise<string> {
  const { bytes } = await readBodyLimited(body, maxBytes);
  return bytes.toString('utf8');
}

function declaredLength(headers: ResponseHeaders): number | undefined {
  const value = readHeader(headers, 'content-length');
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

/** GETs (or POSTs for) a body of at most `maxBytes`, with the MIME type from Content-Type. */
export async function downloadLimited(input: DownloadRequest): Promise<FetchedMedia> {
  const { system, maxBytes } = input;
  try {
    const response = await request(input.url, {
      dispatcher: input.dispatcher,
      method: input.method ?? 'GET',
      headers: input.headers,
      body: input.body,
      signal: input.signal,
    });
    if (response.statusCode < 200 || response.statusCode > 299) {
      const text = await readBodyText(response.body);
      throw input.toError(response.statusCode, response.headers, text);
    }
    const declaredBytes = declaredLength(response.headers);
    if (declaredBytes !== undefined && declaredBytes > maxBytes) {
      response.body.destroy();
      throw mediaTooLarge(system, maxBytes, { declaredBytes });
    }
    const { bytes, receivedBytes, isOverLimit } = await readBodyLimited(response.body, maxBytes);
    if (isOverLimit) throw mediaTooLarge(system, maxBytes, { receivedBytes });
    const contentType = readHeader(response.headers, 'content-type');
    return { bytes, mimeType: contentType?.trim() || null };
  } catch (error) {
    throw upstreamErrorFromTransport(system, error);
  }
}

/** Servers often answer a generic octet-stream; a type the provider declared is more useful then. */
export function pickMimeType(...candidates: (string | null | undefined)[]): string | null {
  const known = candidates.map((c) => c?.trim()).filter((c): c is string => Boolean(c));
  return known.find((c) => !c.startsWith('application/octet-stream')) ?? known[0] ?? null;
}

// A data: URI prefix is tolerated because some Evolution builds and proxies add one.
const DATA_URI = /^data:([^;,]+)?(?:;[^,]*)?;base64,/;
const BASE64_BODY = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Bytes a base64 string decodes to, computed without decoding it. */
export function base64DecodedLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - padding;
}

/** Decodes inline base64 media, refusing before the decode when it is over `maxBytes`. */
export function decodeBase64Limited(system: string, value: string, maxBytes: number): FetchedMedia {
  const dataUri = DATA_URI.exec(value);
  const base64 = (dataUri ? value.slice(dataUri[0].length) : value).replace(/\s+/g, '');
  if (!BASE64_BODY.test(base64)) {
    throw new UpstreamError(system, 'media base64 is not valid base64', { retryable: false });
  }
  const declaredBytes = base64DecodedLength(base64);
  if (declaredBytes > maxBytes) throw mediaTooLarge(system, maxBytes, { declaredBytes });
  return { bytes: Buffer.from(base64, 'base64'), mimeType: dataUri?.[1] ?? null };
}
