import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from 'openai/resources/chat/completions';
import CircuitBreaker from 'opossum';
import { UpstreamError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { isOurMistake, openAiError } from './errors.js';

/**
 * The chat model behind the agent, through the official SDK (any OpenAI-compatible server via
 * OPENAI_BASE_URL). The SDK owns timeouts and retries (408/409/429/5xx and connection errors,
 * honouring Retry-After); the breaker on top turns a real outage into an immediate fallback to
 * the offline policy instead of every turn waiting out its retries.
 */
export type LlmSettings = {
  apiKey: string;
  baseUrl?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  breakerResetMs?: number;
};

export type LlmPurpose = 'reply' | 'regenerate' | 'summary';
export type ChatParams = Omit<ChatCompletionCreateParamsNonStreaming, 'model'>;

export type LlmClient = {
  model: string;
  complete(params: ChatParams, purpose: LlmPurpose): Promise<ChatCompletion>;
  isCircuitOpen(): boolean;
  /** Milliseconds spent inside complete() since start: the agent-overhead benchmark subtracts it. */
  busyMs(): number;
};

export function createLlmClient(settings: LlmSettings, log: Logger, metrics: Metrics): LlmClient {
  const sdk = new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseUrl,
    timeout: settings.timeoutMs,
    maxRetries: settings.maxRetries,
  });
  let busy = 0;

  const breaker = new CircuitBreaker(
    (params: ChatCompletionCreateParamsNonStreaming) => sdk.chat.completions.create(params),
    {
      timeout: false,
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      resetTimeout: settings.breakerResetMs ?? 30_000,
      errorFilter: isOurMistake,
    },
  );
  breaker.on('open', () => {
    metrics.llmCircuitOpen.set(1);
    log.error('LLM circuit opened: the offline policy answers until the model recovers');
  });
  breaker.on('halfOpen', () => log.warn('LLM circuit half-open: trying the model again'));
  breaker.on('close', () => {
    metrics.llmCircuitOpen.set(0);
    log.info('LLM circuit closed: the model answers again');
  });

  async function complete(params: ChatParams, purpose: LlmPurpose): Promise<ChatCompletion> {
    const startedAt = performance.now();
    try {
      const completion = (await breaker.fire({ ...params, model: settings.model })) as ChatCompletion;
      metrics.llmCalls.inc({ purpose, outcome: 'ok' });
      metrics.llmTokens.inc({ kind: 'prompt' }, completion.usage?.prompt_tokens ?? 0);
      metrics.llmTokens.inc({ kind: 'completion' }, completion.usage?.completion_tokens ?? 0);
      return completion;
    } catch (error) {
      const open = breaker.opened && !(error instanceof OpenAI.APIError);
      metrics.llmCalls.inc({ purpose, outcome: open ? 'circuit_open' : 'error' });
      if (open) {
        throw new UpstreamError('openai', 'circuit open after repeated failures', {
          retryable: true,
          cause: error,
        });
      }
      throw openAiError(error, { waitingFor: 'the model', modelVariable: 'OPENAI_MODEL' });
    } finally {
      const elapsed = performance.now() - startedAt;
      busy += elapsed;
      metrics.llmDuration.observe(elapsed / 1000);
    }
  }

  return { model: settings.model, complete, isCircuitOpen: () => breaker.opened, busyMs: () => busy };
}
