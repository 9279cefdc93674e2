import { UpstreamError } from '../errors.js';

/**
 * Turns what an outside HTTP API did (a non-2xx answer, or no answer at all) into an
 * UpstreamError with `retryable` set the same way for every system, so the one retry wrapper
 * per system can decide without knowing the vendor. Provider-specific knowledge (error codes,
 * which variable to fix) stays in each client; this file only knows HTTP.
 */

export type ResponseHeaders = Headers | Record<string, string | string[] | undefined>;

// 408 and 429 are the two 4xx answers that mean "same request, later".
const RETRYABLE_CLIENT_STATUSES = new Set([408, 429]);

// Node and undici codes for a connection that failed or broke; trying again can help.
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_ERROR_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const PROVIDER_MESSAGE_MAX_CHARS = 300;

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || RETRYABLE_CLIENT_STATUSES.has(status);
}

export function readHeader(headers: ResponseHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Vendor answers are JSON when the vendor behaves; a proxy's HTML error page is not. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Keeps a provider's error text readable in one log line without letting a whole HTML page in. */
export function truncateProviderMessage(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > PROVIDER_MESSAGE_MAX_CHARS
    ? `${oneLine.slice(0, PROVIDER_MESSAGE_MAX_CHARS)}…`
    : oneLine;
}

/**
 * A non-2xx answer. `providerMessage` is the vendor's own error text (already extracted from
 * its error shape by the client); `options.retryable` overrides the status rule when a vendor
 * error code knows better (Meta rate-limit codes arrive on a 400).
 */
export function upstreamErrorFromResponse(
  system: string,
  status: number,
  headers: ResponseHeaders,
  providerMessage: string,
  options: { retryable?: boolean; retryAfterMs?: number; details?: unknown } = {},
): UpstreamError {
  const text = truncateProviderMessage(providerMessage) || 'no error text';
  return new UpstreamError(system, `HTTP ${status}: ${text}`, {
    retryable: options.retryable ?? isRetryableStatus(status),
    retryAfterMs: parseRetryAfterMs(readHeader(headers, 'retry-after')) ?? options.retryAfterMs,
    upstreamStatus: status,
    details: options.details,
  });
}

type ErrorLike = { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };

// fetch wraps the socket error in `TypeError('fetch failed', { cause })`; look a few levels down.
function errorChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && chain.length < 5) {
    chain.push(current as ErrorLike);
    current = (current as ErrorLike).cause;
  }
  return chain;
}

type TransportFailure = { message: string; retryable: boolean; mayHaveSucceeded: boolean };

function describeTransportFailure(error: unknown): TransportFailure {
  const chain = errorChain(error);
  const codeOf = (e: ErrorLike) => (typeof e.code === 'string' ? e.code : undefined);
  if (chain.some((e) => codeOf(e) === 'UND_ERR_CONNECT_TIMEOUT')) {
    return { message: 'timed out connecting', retryable: true, mayHaveSucceeded: false };
  }
  if (chain.some((e) => e.name === 'TimeoutError' || TIMEOUT_ERROR_CODES.has(codeOf(e) ?? ''))) {
    return { message: 'timed out waiting for the response', retryable: true, mayHaveSucceeded: true };
  }
  const network = chain.find((e) => NETWORK_ERROR_CODES.has(codeOf(e) ?? ''));
  if (network) {
    // A connection that broke after the request went out may still have done the work (a sent
    // message): callers retrying sends need an idempotency guard, and the message says so.
    const code = codeOf(network);
    const lost = code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
    return {
      message: lost
        ? `connection lost before a response (${code}); the request may have been processed`
        : `connection failed (${code})`,
      retryable: true,
      mayHaveSucceeded: lost,
    };
  }
  // Our own caller cancelled (shutdown): nothing to retry.
  if (chain.some((e) => e.name === 'AbortError')) {
    return { message: 'request aborted', retryable: false, mayHaveSucceeded: false };
  }
  const first = chain[0];
  const text = typeof first?.message === 'string' ? first.message : String(error);
  return {
    message: `request failed: ${truncateProviderMessage(text)}`,
    retryable: false,
    mayHaveSucceeded: false,
  };
}

/** No usable answer: timeout, refused or dropped connection, DNS failure, or a local bug. */
export function upstreamErrorFromTransport(system: string, error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const { message, ...flags } = describeTransportFailure(error);
  return new UpstreamError(system, message, { ...flags, cause: error });
}
