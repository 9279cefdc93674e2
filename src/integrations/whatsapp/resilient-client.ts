import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import { isUpstreamError, UpstreamError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { SendResult, SendTextInput, WhatsAppClient } from './types.js';

/**
 * Retries and a circuit breaker around a provider's sends, in one place. A few quick retries
 * inside the call absorb blips; longer outages are the job queue's business (its backoff and
 * dead letters), and an open breaker makes those retries fail fast instead of piling up.
 */
export type ResilienceSettings = {
  retries: number;
  minTimeoutMs: number;
  /** Longest Retry-After we wait inside the call; longer ones go back to the queue. */
  maxRetryAfterMs: number;
  breakerResetMs: number;
};

export const DEFAULT_RESILIENCE: ResilienceSettings = {
  retries: 2,
  minTimeoutMs: 300,
  maxRetryAfterMs: 10_000,
  breakerResetMs: 30_000,
};

export function withResilience<C extends WhatsAppClient>(
  client: C,
  log: Logger,
  settings: ResilienceSettings = DEFAULT_RESILIENCE,
): C & { isCircuitOpen: () => boolean } {
  async function sendWithRetries(input: SendTextInput): Promise<SendResult> {
    return pRetry(() => client.sendText(input), {
      retries: settings.retries,
      minTimeout: settings.minTimeoutMs,
      randomize: true,
      // A send that may have gone out is not repeated here: the outbox first waits for the
      // provider's echo or receipt, so the lead does not get the message twice.
      shouldRetry: ({ error }) =>
        isUpstreamError(error) &&
        error.retryable &&
        !error.mayHaveSucceeded &&
        (error.retryAfterMs ?? 0) <= settings.maxRetryAfterMs,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        log.warn(
          { provider: client.provider, attemptNumber, retriesLeft, err: error },
          'WhatsApp send failed',
        );
        // Honour the provider's Retry-After on top of p-retry's own backoff. p-retry calls this
        // before shouldRetry, so a wait too long to retry here must not be slept through either.
        const wait = isUpstreamError(error) ? (error.retryAfterMs ?? 0) : 0;
        if (retriesLeft > 0 && wait > 0 && wait <= settings.maxRetryAfterMs) {
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      },
    });
  }

  const breaker = new CircuitBreaker(sendWithRetries, {
    // Provider timeouts are enforced by the client itself.
    timeout: false,
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
    resetTimeout: settings.breakerResetMs,
    // Only outages count against the provider: a refused recipient is not the provider failing.
    errorFilter: (error: unknown) => isUpstreamError(error) && !error.retryable,
  });
  breaker.on('open', () => log.error({ provider: client.provider }, 'WhatsApp circuit opened: sends paused'));
  breaker.on('halfOpen', () =>
    log.warn({ provider: client.provider }, 'WhatsApp circuit half-open: trying a send'),
  );
  breaker.on('close', () =>
    log.info({ provider: client.provider }, 'WhatsApp circuit closed: sends resumed'),
  );

  async function sendText(input: SendTextInput): Promise<SendResult> {
    try {
      return await breaker.fire(input);
    } catch (error) {
      if (breaker.opened && !isUpstreamError(error)) {
        throw new UpstreamError(client.provider, 'circuit open after repeated failures; will retry later', {
          retryable: true,
          details: { circuit: 'open' },
          cause: error,
        });
      }
      throw error;
    }
  }

  return { ...client, sendText, isCircuitOpen: () => breaker.opened };
}
