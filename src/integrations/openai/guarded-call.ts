import OpenAI from 'openai';
import CircuitBreaker from 'opossum';
import { UpstreamError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';

/**
 * What the chat and the transcription clients share: one SDK set up from the OPENAI_* settings
 * (it owns timeouts and retries), and a breaker around each call that turns a real outage into
 * a fast, retryable failure while a bad request of ours (400, 422) never counts against it.
 * Every failure leaves here as an UpstreamError.
 */
export type OpenAiSettings = {
  apiKey: string;
  baseUrl?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  breakerResetMs?: number;
};

export function createOpenAiSdk(settings: OpenAiSettings): OpenAI {
  return new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseUrl,
    timeout: settings.timeoutMs,
    maxRetries: settings.maxRetries,
  });
}

/** A bad request is ours to fix (too long a prompt, a bad tool schema, a bad file): not an outage. */
function isOurMistake(error: unknown): boolean {
  return error instanceof OpenAI.APIError && (error.status === 400 || error.status === 422);
}

type ErrorContext = { waitingFor: string; modelVariable: string };

/**
 * The SDK's errors as our UpstreamError, after its own retries: which failures a later attempt
 * can fix, and which variable to check when the answer says it is ours.
 */
export function openAiError(error: unknown, { waitingFor, modelVariable }: ErrorContext): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new UpstreamError('openai', `timed out waiting for ${waitingFor}`, {
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    const hint =
      error.status === 401
        ? ' (check OPENAI_API_KEY)'
        : error.status === 404
          ? ` (check ${modelVariable})`
          : '';
    return new UpstreamError('openai', `HTTP ${error.status}: ${error.message}${hint}`, {
      retryable: error.status === 408 || error.status === 429 || error.status >= 500,
      upstreamStatus: error.status,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new UpstreamError('openai', `request failed: ${message}`, { retryable: true, cause: error });
}

export { isCircuitOpenError } from '../../errors.js';

type GuardOptions = {
  resetMs?: number;
  log: Logger;
  /** The operator's log lines when the circuit opens, half-opens and closes. */
  lines: { open: string; halfOpen: string; close: string };
  /** The open circuit's error message. */
  openMessage: string;
  errors: ErrorContext;
  onCircuitChange?: (isOpen: boolean) => void;
};

export function guardOpenAiCall<A, R>(action: (arg: A) => Promise<R>, options: GuardOptions) {
  const { log, lines } = options;
  const breaker = new CircuitBreaker(action, {
    timeout: false,
    errorThresholdPercentage: 50,
    volumeThreshold: 3,
    resetTimeout: options.resetMs ?? 30_000,
    errorFilter: isOurMistake,
  });
  breaker.on('open', () => {
    options.onCircuitChange?.(true);
    log.error(lines.open);
  });
  breaker.on('halfOpen', () => log.warn(lines.halfOpen));
  breaker.on('close', () => {
    options.onCircuitChange?.(false);
    log.info(lines.close);
  });

  async function fire(arg: A): Promise<R> {
    try {
      return (await breaker.fire(arg)) as R;
    } catch (error) {
      // A rejection that is not an API error while the breaker is open was the breaker's own.
      if (breaker.opened && !(error instanceof OpenAI.APIError)) {
        throw new UpstreamError('openai', options.openMessage, {
          retryable: true,
          details: { circuit: 'open' },
          cause: error,
        });
      }
      throw openAiError(error, options.errors);
    }
  }

  return { fire, isOpen: () => breaker.opened };
}
