import type { LeadSlots, SlotName } from '../../domain/lead/slots.js';

/**
 * The deterministic dialogue the agent falls back on without an LLM (no key, or the LLM circuit
 * open), and what the embedded default runs: greet once, acknowledge what the lead just told us,
 * deflect price/deadline questions, then ask for the next missing slots, at most two questions.
 */
export type OfflineOutcome = 'qualifying' | 'qualified' | 'handed_off' | 'closed_cold';

export type OfflineInput = {
  slots: LeadSlots;
  /** Slots filled by the lead's latest messages, to acknowledge them. */
  newlyFilled: SlotName[];
  missing: SlotName[];
  isFirstReply: boolean;
  askedCommercialTerms: boolean;
  outcome: OfflineOutcome;
  /** The outcome was reached on this turn (the closing or handoff line is said once). */
  outcomeIsNew: boolean;
  priceDeflection: string;
};

const QUESTIONS: Readonly<Record<SlotName, string>> = {
  name: 'Como posso te chamar?',
  company: 'De qual empresa você fala?',
  product: 'Qual equipamento você procura (envasadora, rotuladora, tampadora, seladora…)?',
  application: 'O que vocês produzem ou vão envasar com ele?',
  volume: 'Qual volume de produção vocês precisam atender (por hora ou por dia)?',
  urgency: 'Para quando vocês precisam do equipamento?',
  city: 'De qual cidade e estado vocês são?',
  uf: 'De qual estado vocês são?',
  email: 'Qual e-mail posso usar para o consultor te enviar a proposta?',
  cnpj: 'Pode me informar o CNPJ da empresa?',
  phone: 'Qual o melhor telefone para contato?',
};

const ACKNOWLEDGED: Partial<Record<SlotName, (slots: LeadSlots) => string | null>> = {
  company: (s) => (s.company ? `empresa ${s.company}` : null),
  product: (s) => (s.product ? `interesse em ${s.product}` : null),
  application: (s) => (s.application ? `aplicação: ${s.application}` : null),
  volume: (s) => (s.volume ? `volume de ${s.volume}` : null),
  city: (s) => (s.city ? `${s.city}${s.uf ? `/${s.uf}` : ''}` : null),
  email: (s) => (s.email ? 'seu e-mail' : null),
  cnpj: (s) => (s.cnpj ? 'o CNPJ' : null),
};

export const COLD_CLOSING =
  'Muito obrigado pelo contato! No momento o nosso atendimento é dedicado a empresas que buscam ' +
  'equipamentos para a sua produção. Se no futuro precisar, é só chamar por aqui. Sucesso!';

export const HANDOFF_MESSAGE =
  'Perfeito, já tenho o que preciso. Vou passar o seu atendimento para um consultor da Seleto ' +
  'Industrial, que vai falar com você por aqui em breve.';

export const QUALIFIED_MESSAGE =
  'Obrigado pelas informações! Um consultor da Seleto Industrial vai analisar a sua necessidade ' +
  'e entrar em contato por aqui.';

function greeting(slots: LeadSlots): string {
  const name = slots.name ? `, ${slots.name.split(' ')[0]}` : '';
  return `Olá${name}! Aqui é o assistente virtual da Seleto Industrial.`;
}

function acknowledgement(input: OfflineInput): string | null {
  const parts = input.newlyFilled
    .filter((slot) => slot !== 'uf' || !input.newlyFilled.includes('city'))
    .map((slot) => ACKNOWLEDGED[slot]?.(input.slots))
    .filter((part): part is string => Boolean(part));
  // The greeting already uses the name on a first reply.
  const welcome =
    input.newlyFilled.includes('name') && !input.isFirstReply && input.slots.name
      ? `Prazer, ${input.slots.name.split(' ')[0]}!`
      : null;
  const noted = parts.length > 0 ? `Anotei: ${parts.join(', ')}.` : null;
  return [welcome, noted].filter(Boolean).join(' ') || null;
}

/** The next questions, at most two; city and state are asked as one. */
export function nextQuestions(missing: SlotName[], max = 2): string[] {
  const slots = missing.filter((slot) => slot !== 'uf' || !missing.includes('city'));
  return slots.slice(0, max).map((slot) => QUESTIONS[slot]);
}

export function composeOfflineReply(input: OfflineInput): string | null {
  const lines: string[] = [];
  if (input.isFirstReply) lines.push(greeting(input.slots));
  if (input.outcome === 'closed_cold') {
    return input.outcomeIsNew ? [...lines, COLD_CLOSING].join(' ') : null;
  }
  const ack = acknowledgement(input);
  if (ack) lines.push(ack);
  if (input.askedCommercialTerms) lines.push(input.priceDeflection);
  if (input.outcome === 'handed_off' || input.outcome === 'qualified') {
    if (!input.outcomeIsNew) return input.askedCommercialTerms ? input.priceDeflection : null;
    lines.push(input.outcome === 'handed_off' ? HANDOFF_MESSAGE : QUALIFIED_MESSAGE);
    return lines.join(' ');
  }
  const questions = nextQuestions(input.missing);
  if (questions.length === 0) lines.push(QUALIFIED_MESSAGE);
  else lines.push(...questions);
  return lines.join(' ');
}
