import { createMessageRepo, type StoredMessage } from '../../db/message.repo.js';
import type { Queryable } from '../../db/pool.js';
import type { LlmClient } from '../../integrations/openai/chat-client.js';
import { addUsage, type TokenUsage } from './usage.js';

/**
 * Bounded conversation memory: the last N messages verbatim plus a rolling summary of
 * everything older. Messages that fall out of the window are folded into the summary in
 * batches of N/2 (one small LLM call per batch, a deterministic digest without the model),
 * so the prompt stays about the same size at turn 10 and at turn 1,000.
 */
export type Memory = {
  summary: string | null;
  /** Oldest first: not-yet-folded older messages, then the last N. */
  history: StoredMessage[];
};

export const SUMMARY_MAX_CHARS = 1_200;
const DIGEST_LINE_CHARS = 160;

const AUTHOR_LABEL = { lead: 'Lead', bot: 'Assistente', human: 'Consultor' } as const;

function line(message: StoredMessage, maxChars: number): string {
  const text = (message.text ?? `[${message.kind}]`).replace(/\s+/g, ' ').trim();
  const clipped = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
  return `${AUTHOR_LABEL[message.author]}: ${clipped}`;
}

/** Keeps the newest lines that fit: the summary never grows past its budget. */
function clip(summary: string): string {
  if (summary.length <= SUMMARY_MAX_CHARS) return summary;
  const lines = summary.split('\n');
  while (lines.length > 1 && lines.join('\n').length > SUMMARY_MAX_CHARS) lines.shift();
  return lines.join('\n').slice(-SUMMARY_MAX_CHARS);
}

/** Without a model: the lead's and the humans' words, one short line each. */
export function digest(previous: string | null, messages: StoredMessage[]): string {
  const lines = messages.filter((m) => m.author !== 'bot').map((m) => `- ${line(m, DIGEST_LINE_CHARS)}`);
  return clip([previous, ...lines].filter(Boolean).join('\n'));
}

async function summarise(llm: LlmClient, previous: string | null, messages: StoredMessage[]) {
  const completion = await llm.complete(
    {
      messages: [
        {
          role: 'system',
          content:
            'Você mantém o resumo de uma conversa de WhatsApp entre um lead e a assistente comercial da Seleto Industrial. ' +
            'Atualize o resumo com as mensagens novas em até 8 linhas curtas: o que o lead contou, pediu, perguntou e objetou, ' +
            'e o que ficou combinado. Não inclua valores, prazos nem descontos. Responda só com o resumo.',
        },
        {
          role: 'user',
          content: `Resumo atual:\n${previous ?? '(vazio)'}\n\nMensagens novas:\n${messages.map((m) => line(m, 600)).join('\n')}`,
        },
      ],
      max_tokens: 300,
      temperature: 0,
    },
    'summary',
  );
  const text = completion.choices[0]?.message.content?.trim();
  return { text: text ? clip(text) : digest(previous, messages), usage: completion.usage };
}

export async function loadMemory(
  db: Queryable,
  conversationId: string,
  windowSize: number,
  llm: LlmClient | undefined,
  usage: TokenUsage,
): Promise<Memory> {
  const messages = createMessageRepo(db);
  const recent = await messages.recent(conversationId, windowSize);
  const state = await db.query<{ memory_summary: string | null; memory_summary_through: string | null }>(
    'select memory_summary, memory_summary_through from conversations where id = $1',
    [conversationId],
  );
  let summary = state.rows[0]?.memory_summary ?? null;
  const through = Number(state.rows[0]?.memory_summary_through ?? 0);
  const oldestRecent = recent[0]?.id ?? 0;
  const older = await messages.between(conversationId, through, oldestRecent);
  if (older.length < Math.max(2, Math.floor(windowSize / 2)))
    return { summary, history: [...older, ...recent] };

  try {
    if (!llm || llm.isCircuitOpen()) throw new Error('no model');
    const folded = await summarise(llm, summary, older);
    summary = folded.text;
    addUsage(usage, folded.usage);
  } catch {
    // The summary is memory, not the reply: without the model a digest keeps the facts.
    summary = digest(summary, older);
  }
  await db.query('update conversations set memory_summary = $2, memory_summary_through = $3 where id = $1', [
    conversationId,
    summary,
    older[older.length - 1]?.id ?? through,
  ]);
  return { summary, history: recent };
}
