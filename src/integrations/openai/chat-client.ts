import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from 'openai/resources/chat/completions';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { createOpenAiSdk, guardOpenAiCall, isCircuitOpenError, type OpenAiSettings } from './guarded-call.js';

/**
 * The chat model behind the agent, through the official SDK (any OpenAI-compatible server via
 * OPENAI_BASE_URL). The SDK owns timeouts and retries (408/409/429/5xx and connection errors,
 * honouring Retry-After); the breaker on top turns a real outage into an immediate fallback to
 * the offline policy instead of every turn waiting out its retries.
 */
export type LlmSettings = OpenAiSettings;

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
  const sdk = createOpenAiSdk(settings);
  let busy = 0;
  const call = guardOpenAiCall(
    (params: ChatCompletionCreateParamsNonStreaming) => sdk.chat.completions.create(params),
    {
      resetMs: settings.breakerResetMs,
      log,
      lines: {
        open: 'LLM circuit opened: the offline policy answers until the model recovers',
        halfOpen: 'LLM circuit half-open: trying the model again',
        close: 'LLM circuit closed: the model answers again',
      },
      openMessage: 'circuit open after repeated failures',
      errors: { waitingFor: 'the model', modelVariable: 'OPENAI_MODEL' },
      onCircuitChange: (isOpen) => metrics.llmCircuitOpen.set(isOpen ? 1 : 0),
    },
  );

  async function complete(params: ChatParams, purpose: LlmPurpose): Promise<ChatCompletion> {
    const startedAt = performance.now();
    try {
      const completion = await call.fire({ ...params, model: settings.model });
      metrics.llmCalls.inc({ purpose, outcome: 'ok' });
      metrics.integrationCalls.inc({ system: 'llm', operation: purpose, outcome: 'ok' });
      metrics.llmTokens.inc({ kind: 'prompt' }, completion.usage?.prompt_tokens ?? 0);
      metrics.llmTokens.inc({ kind: 'completion' }, completion.usage?.completion_tokens ?? 0);
      return completion;
    } catch (error) {
      const outcome = isCircuitOpenError(error) ? 'circuit_open' : 'error';
      metrics.llmCalls.inc({ purpose, outcome });
      metrics.integrationCalls.inc({ system: 'llm', operation: purpose, outcome });
      throw error;
    } finally {
      const elapsed = performance.now() - startedAt;
      busy += elapsed;
      metrics.llmDuration.observe(elapsed / 1000);
    }
  }

  return { model: settings.model, complete, isCircuitOpen: call.isOpen, busyMs: () => busy };
}
