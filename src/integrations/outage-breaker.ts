import CircuitBreaker from 'opossum';
import { isUpstreamError, UpstreamError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

/**
 * The circuit breaker of our CRM and inbox clients, in one place: it opens on outages only (a
 * retryable failure that already spent its retries), never on refusals (401, 404, 422: the system
 * is up and answering), and while open it fails fast with a retryable error so the job queue's
 * backoff takes over instead of every job waiting out its own retries.
 */
export type OutageMetrics = {
  calls: { inc(labels: { operation: string; outcome: 'ok' | 'error' | 'circuit_open' }): void };
  circuitOpen?: { set(value: number): void };
};

type Options = {
  /** The UpstreamError system ('piperun', 'chatwoot'). */
  system: string;
  /** For the operator's log lines: "PipeRun" and what pauses while open ("CRM calls"). */
  label: string;
  paused: string;
  resetMs?: number;
  log: Logger;
  metrics?: OutageMetrics;
};

export function createOutageBreaker<C extends { operation: string }>(
  action: (call: C) => Promise<unknown>,
  { system, label, paused, resetMs, log, metrics }: Options,
) {
  const breaker = new CircuitBreaker<[C], unknown>(action, {
    // Every request has its own timeout.
    timeout: false,
    errorThresholdPercentage: 50,
    // A failing call already spent its retries (seconds each), so a few failed calls within a
    // minute are an outage; opossum's default 10 s window would rarely see enough of them.
    volumeThreshold: 3,
    rollingCountTimeout: 60_000,
    rollingCountBuckets: 6,
    resetTimeout: resetMs ?? 30_000,
    errorFilter: (error: unknown) => !(isUpstreamError(error) && error.retryable),
  });
  breaker.on('open', () => {
    metrics?.circuitOpen?.set(1);
    log.error({ system }, `${label} circuit opened: ${paused} paused`);
  });
  breaker.on('halfOpen', () => log.warn({ system }, `${label} circuit half-open: trying a call`));
  breaker.on('close', () => {
    metrics?.circuitOpen?.set(0);
    log.info({ system }, `${label} circuit closed: ${paused} resumed`);
  });

  async function fire(call: C): Promise<unknown> {
    try {
      const result = await breaker.fire(call);
      metrics?.calls.inc({ operation: call.operation, outcome: 'ok' });
      return result;
    } catch (error) {
      const isOpen = (error as { code?: unknown }).code === 'EOPENBREAKER';
      metrics?.calls.inc({ operation: call.operation, outcome: isOpen ? 'circuit_open' : 'error' });
      if (!isOpen) throw error;
      throw new UpstreamError(system, 'circuit open after repeated failures; will retry later', {
        retryable: true,
        cause: error,
      });
    }
  }

  return { fire, isOpen: () => breaker.opened, shutdown: () => breaker.shutdown() };
}
