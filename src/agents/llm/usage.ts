import type { CompletionUsage } from 'openai/resources/completions';

/** Tokens of one turn, summed over its LLM calls; stored in turns.usage. */
export type TokenUsage = {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  calls: number;
};

export function emptyUsage(): TokenUsage {
  return { promptTokens: 0, completionTokens: 0, totalTokens: 0, calls: 0 };
}

export function addUsage(total: TokenUsage, usage: CompletionUsage | undefined): void {
  total.calls += 1;
  total.promptTokens += usage?.prompt_tokens ?? 0;
  total.completionTokens += usage?.completion_tokens ?? 0;
  total.totalTokens += usage?.total_tokens ?? 0;
}
