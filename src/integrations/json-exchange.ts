import { type Agent, request } from 'undici';
import { isUpstreamError, type UpstreamError } from '../errors.js';
import { type ResponseHeaders, upstreamErrorFromTransport } from './http-errors.js';

export type JsonExchange = {
  url: string;
  method: string;
  /** The system's auth header(s); accept and content-type are added here. */
  headers: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
};

export type RawResponse = { status: number; headers: ResponseHeaders; text: string };

/**
 * One JSON call to a CRM or inbox API (PipeRun, Chatwoot): the response whatever its status,
 * or an UpstreamError naming `system` when the call never got one (timeout, refused, reset).
 */
export async function exchangeJson(
  system: string,
  agent: Agent,
  { url, method, headers, body, timeoutMs }: JsonExchange,
): Promise<RawResponse> {
  try {
    const response = await request(url, {
      dispatcher: agent,
      method: method as 'GET',
      headers: {
        ...headers,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  } catch (error) {
    throw upstreamErrorFromTransport(system, error);
  }
}

/**
 * Retried inside the call: a retryable failure whose Retry-After we are willing to wait, unless
 * repeating it could do its work twice (a non-idempotent call that may have gone through).
 */
export function isWorthRetrying(
  error: unknown,
  { isIdempotent, maxRetryAfterMs }: { isIdempotent: boolean; maxRetryAfterMs: number },
): error is UpstreamError {
  return (
    isUpstreamError(error) &&
    error.retryable &&
    (error.retryAfterMs ?? 0) <= maxRetryAfterMs &&
    !(!isIdempotent && error.mayHaveSucceeded)
  );
}
