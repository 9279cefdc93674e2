import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { GuardrailViolation } from '../../domain/guardrails/policy.js';
import type { LlmClient } from '../../integrations/openai/chat-client.js';
import {
  type AgentTool,
  runToolCall,
  type ToolContext,
  type ToolResult,
  toFunctionTool,
} from '../tools/tool.js';
import { addUsage, type TokenUsage } from './usage.js';

/**
 * The model's side of a turn: it may call tools (answered with their output or validation
 * error) for a few rounds, then writes the reply. A reply the guardrails refused can be
 * rewritten once with the reason; what happens after that is the caller's policy.
 */
const MAX_TOOL_ROUNDS = 4;
const REPLY_MAX_TOKENS = 400;
const TEMPERATURE = 0.3;

export type ToolCallRecord = { name: string; arguments: string; result: ToolResult };

export type WriterRun = {
  messages: ChatCompletionMessageParam[];
  usage: TokenUsage;
  toolCalls: ToolCallRecord[];
};

type WriteInput = {
  llm: LlmClient;
  tools: readonly AgentTool[];
  context: ToolContext;
  onToolCall?: (record: ToolCallRecord) => Promise<void>;
};

export async function writeReply(
  run: WriterRun,
  { llm, tools, context, onToolCall }: WriteInput,
): Promise<string | null> {
  const definitions = tools.map(toFunctionTool);
  for (let round = 0; round <= MAX_TOOL_ROUNDS; round++) {
    const lastRound = round === MAX_TOOL_ROUNDS;
    const completion = await llm.complete(
      {
        messages: run.messages,
        tools: definitions,
        // Out of rounds: the model must answer the lead now.
        tool_choice: lastRound ? 'none' : 'auto',
        max_tokens: REPLY_MAX_TOKENS,
        temperature: TEMPERATURE,
      },
      'reply',
    );
    addUsage(run.usage, completion.usage);
    const message = completion.choices[0]?.message;
    const calls = (message?.tool_calls ?? []).filter((call) => call.type === 'function');
    if (!message || calls.length === 0 || lastRound) return message?.content?.trim() || null;

    run.messages.push({ role: 'assistant', content: message.content ?? null, tool_calls: calls });
    for (const call of calls) {
      const result = await runToolCall(tools, call.function, context);
      const record = { name: call.function.name, arguments: call.function.arguments, result };
      run.toolCalls.push(record);
      await onToolCall?.(record);
      run.messages.push({
        role: 'tool',
        tool_call_id: call.id,
        content: JSON.stringify(result.ok ? result.output : { error: result.error }),
      });
    }
  }
  return null;
}

/** One rewrite, told exactly what was wrong; no tools, so it cannot wander off. */
export async function rewriteReply(
  run: WriterRun,
  llm: LlmClient,
  rejected: string,
  violations: GuardrailViolation[],
): Promise<string | null> {
  const reasons = violations.map((v) => `- ${v.rule}: ${v.detail}`).join('\n');
  run.messages.push(
    { role: 'assistant', content: rejected },
    {
      role: 'system',
      content:
        `A resposta acima não pode ser enviada:\n${reasons}\n` +
        'Reescreva a mensagem ao lead sem nenhum valor, preço, custo, prazo, desconto ou condição de pagamento ' +
        'e com no máximo 2 perguntas. Responda só com a nova mensagem.',
    },
  );
  const completion = await llm.complete(
    { messages: run.messages, max_tokens: REPLY_MAX_TOKENS, temperature: 0 },
    'regenerate',
  );
  addUsage(run.usage, completion.usage);
  return completion.choices[0]?.message.content?.trim() || null;
}
