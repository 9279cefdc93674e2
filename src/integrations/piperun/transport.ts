import pRetry from 'p-retry';
import { Agent } from 'undici';
import type { UpstreamError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { parseJsonBody, type ResponseHeaders, upstreamErrorFromResponse } from '../http-errors.js';
import { exchangeJson, isWorthRetrying } from '../json-exchange.js';
import { createOutageBreaker } from '../outage-breaker.js';
import { createRateLimiter } from './rate-limit.js';
import { errorBodySchema } from './schemas.js';

/**
 * One PipeRun HTTP call with the resilience in this one place (shared/contracts/piperun.md
 * §3, §4): a throttle shared by every call of the token, quick retries of outages, and a
 * breaker that makes a long outage fail fast so the job queue's backoff takes over. A create
 * whose answer was lost is never repeated here: the checkpointed sync looks the record up
 * (§7) before creating it again.
 */

export const SYSTEM = 'piperun';

export type PipeRunClientSettings = {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  maxRequestsPerSecond?: number;
  /** Quick retries inside a call; longer outages are the job queue's business. */
  retries?: number;
  /** Longest Retry-After waited inside a call; a longer one is thrown to the queue. */
  maxRetryAfterMs?: number;
  minRetryDelayMs?: number;
  breakerResetMs?: number;
};

/** Shaped like a prom-client Counter and Gauge (metrics.ts has no PipeRun ones yet). */
export type PipeRunMetrics = {
  calls: { inc(labels: { operation: string; outcome: 'ok' | 'error' | 'circuit_open' }): void };
  circuitOpen: { set(value: number): void };
};

export type Query = Record<string, string | number | undefined>;
export type Call = {
  operation: string;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  query?: Query;
  body?: unknown;
  /** §3/§8: a search miss may be a 404 instead of 200 + `data: []`; both mean "none". */
  isMissEmpty?: boolean;
};

function fieldMessages(data: unknown): string | null {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return null;
  const parts = Object.entries(data).map(
    ([field, text]) => `${field}: ${Array.isArray(text) ? text.join(' ') : String(text)}`,
  );
  return parts.length > 0 ? parts.join('; ') : null;
}

function errorFromResponse(status: number, headers: ResponseHeaders, text: string): UpstreamError {
  const parsed = errorBodySchema.safeParse(parseJsonBody(text));
  const body = parsed.success ? parsed.data : { message: null, data: null };
  const message = body.message ?? text;
  if (status === 401 || status === 403) {
    const hint = `${message}: token rejected, check PIPERUN_TOKEN (and its user's permissions)`;
    return upstreamErrorFromResponse(SYSTEM, status, headers, hint, { retryable: false });
  }
  const fields = status === 422 ? fieldMessages(body.data) : null;
  return upstreamErrorFromResponse(SYSTEM, status, headers, fields ? `${message} (${fields})` : message, {
    details: body.data ?? undefined,
  });
}

function urlFor(baseUrl: string, { path, query = {} }: Call): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const search = params.toString();
  return `${baseUrl.replace(/\/+$/, '')}${path}${search ? `?${search}` : ''}`;
}

export function createPipeRunTransport(
  settings: PipeRunClientSettings,
  log: Logger,
  metrics?: PipeRunMetrics,
) {
  const { baseUrl, token, timeoutMs, retries = 3, maxRetryAfterMs = 30_000 } = settings;
  const agent = new Agent();
  const limiter = createRateLimiter({ maxPerSecond: settings.maxRequestsPerSecond ?? 2 });

  async function attempt(call: Call): Promise<unknown> {
    await limiter.acquire();
    const result = await exchangeJson(SYSTEM, agent, {
      url: urlFor(baseUrl, call),
      method: call.method,
      headers: { token },
      body: call.body,
      timeoutMs,
    });
    if (result.status === 404 && call.isMissEmpty) return undefined;
    if (result.status < 200 || result.status > 299) {
      throw errorFromResponse(result.status, result.headers, result.text);
    }
    // null, not undefined, so an unreadable 2xx fails the schema instead of reading as a miss.
    return parseJsonBody(result.text) ?? null;
  }

  /** GET and PUT repeat safely; a POST that may have created its record does not. */
  function worthRetrying(call: Call, error: unknown): error is UpstreamError {
    return isWorthRetrying(error, { isIdempotent: call.method !== 'POST', maxRetryAfterMs });
  }

  function attemptWithRetries(call: Call): Promise<unknown> {
    return pRetry(() => attempt(call), {
      retries,
      minTimeout: settings.minRetryDelayMs ?? 500,
      maxTimeout: maxRetryAfterMs,
      randomize: true,
      shouldRetry: ({ error }) => worthRetrying(call, error),
      // p-retry runs this before shouldRetry: only a Retry-After we will retry on is waited,
      // through the shared throttle so every call of this token pauses with it.
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft === 0 || !worthRetrying(call, error)) return;
        // Path only: queries carry CNPJs and names.
        const { operation, method, path } = call;
        log.warn(
          { system: SYSTEM, operation, method, path, attemptNumber, err: error },
          'PipeRun call retried',
        );
        if (error.retryAfterMs) limiter.holdFor(error.retryAfterMs);
      },
    });
  }

  const breaker = createOutageBreaker(attemptWithRetries, {
    system: SYSTEM,
    label: 'PipeRun',
    paused: 'CRM calls',
    resetMs: settings.breakerResetMs,
    log,
    metrics,
  });

  return {
    /** The parsed JSON body, or undefined for a search miss answered 404 (`isMissEmpty`). */
    send: breaker.fire,
    isCircuitOpen: breaker.isOpen,
    async close() {
      breaker.shutdown();
      await agent.close();
    },
  };
}
