import { readFileSync } from 'node:fs';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { StoredMessage } from '../../db/message.repo.js';
import { PRICE_DEFLECTION } from '../../domain/guardrails/policy.js';
import { formatCnpj } from '../../domain/lead/extractors/cnpj.js';
import { type LeadSlots, SLOT_LABELS_PT, SLOT_NAMES, type SlotName } from '../../domain/lead/slots.js';
import type { LeadDecision } from '../lead-state.js';

/**
 * The system prompt file and the context block built around it each turn. The prompt is the
 * versioned instruction (prompts/sp_agente_v1.xml); the context is the lead profile, the
 * rolling summary and the recent messages, each capped, so the prompt's size stays flat.
 */
export type SystemPrompt = { version: string; text: string };

export const DEFAULT_PROMPT_URL = new URL('../../../prompts/sp_agente_v1.xml', import.meta.url);
const MESSAGE_MAX_CHARS = 600;

export function loadSystemPrompt(location: URL | string = DEFAULT_PROMPT_URL): SystemPrompt {
  const xml = readFileSync(location, 'utf8');
  const version = /<prompt\b[^>]*\bversion="([^"]+)"/.exec(xml)?.[1];
  if (!version) throw new Error(`${String(location)}: the <prompt> element needs a version="…" attribute`);
  // The file's own comments are for maintainers, not the model.
  const text = xml
    .replace(/<\?xml[^>]*\?>/, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .trim();
  return { version, text };
}

function slotValue(slots: LeadSlots, slot: SlotName): string | null {
  const value = slots[slot];
  if (value === null) return null;
  return slot === 'cnpj' ? formatCnpj(value) : String(value);
}

export type TurnNotes = {
  askedCommercialTerms: boolean;
  isFirstReply: boolean;
};

/** The per-turn facts the model works from; the rules' decision is stated, not left to guess. */
export function renderContext(decision: LeadDecision, summary: string | null, notes: TurnNotes): string {
  const filled = SLOT_NAMES.flatMap((slot) => {
    const value = slotValue(decision.slots, slot);
    return value === null ? [] : [`- ${SLOT_LABELS_PT[slot]}: ${value}`];
  });
  const lines = [
    '<contexto_do_turno>',
    'Perfil do lead (já coletado, não pergunte de novo):',
    ...(filled.length > 0 ? filled : ['- (nada ainda)']),
    `Ainda falta: ${decision.missing.map((slot) => SLOT_LABELS_PT[slot]).join(', ') || 'nada'}`,
    `Temperatura pela regra: ${decision.score.temperature} (${decision.score.score} pontos); status: ${decision.status}`,
  ];
  if (summary) lines.push('Resumo da conversa anterior:', summary);
  if (notes.isFirstReply) lines.push('Este é o primeiro contato: cumprimente e apresente-se em uma frase.');
  if (notes.askedCommercialTerms) {
    lines.push(
      `O lead perguntou sobre preço, prazo ou condições. Use esta orientação aprovada: "${PRICE_DEFLECTION}"`,
    );
  }
  lines.push('</contexto_do_turno>');
  return lines.join('\n');
}

function clipMessage(text: string): string {
  return text.length > MESSAGE_MAX_CHARS ? `${text.slice(0, MESSAGE_MAX_CHARS)}…` : text;
}

/** Lead → user, bot → assistant, a human SDR → assistant marked as such. */
export function historyMessages(history: StoredMessage[]): ChatCompletionMessageParam[] {
  return history.map((message) => {
    const text = clipMessage(message.text ?? `[${message.kind} sem texto]`);
    if (message.author === 'lead') return { role: 'user', content: text };
    return { role: 'assistant', content: message.author === 'human' ? `[consultor humano] ${text}` : text };
  });
}

export function buildMessages(input: {
  prompt: SystemPrompt;
  decision: LeadDecision;
  summary: string | null;
  history: StoredMessage[];
  notes: TurnNotes;
}): ChatCompletionMessageParam[] {
  return [
    { role: 'system', content: input.prompt.text },
    { role: 'system', content: renderContext(input.decision, input.summary, input.notes) },
    ...historyMessages(input.history),
  ];
}
