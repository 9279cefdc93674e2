/**
 * The qualification summary handed to a salesperson (plano §6.5, §7.3): the same text goes into
 * the CRM note and the Chatwoot handoff note, so both read alike. Missing fields say "Não
 * informado" rather than disappearing, so the salesperson sees what is still to ask.
 */
import { z } from 'zod';
import { formatCnpj, isValidCnpj } from './extractors/cnpj.js';
import { type LeadScore, type Temperature, TemperatureSchema } from './scoring.js';
import {
  type LeadSlots,
  LeadSlotsSchema,
  SLOT_LABELS_PT,
  type SlotName,
  URGENCY_LABELS_PT,
} from './slots.js';

export const NOT_INFORMED = 'Não informado';
const MAX_RESUMO_CHARS = 1000;
const MAX_NEXT_STEPS = 5;

export const LeadSummarySchema = LeadSlotsSchema.extend({
  temperature: TemperatureSchema,
  reasons: z.array(z.string().trim().min(1)),
  /** A few sentences on who the lead is and what they want, in Portuguese. */
  resumo: z.string().trim().max(MAX_RESUMO_CHARS),
  proximosPassos: z.array(z.string().trim().min(1)).max(MAX_NEXT_STEPS),
});
export type LeadSummary = z.infer<typeof LeadSummarySchema>;

export function buildLeadSummary(input: {
  slots: LeadSlots;
  score: LeadScore;
  resumo: string;
  proximosPassos: readonly string[];
}): LeadSummary {
  return LeadSummarySchema.parse({
    ...input.slots,
    temperature: input.score.temperature,
    reasons: input.score.reasons,
    resumo: input.resumo,
    proximosPassos: input.proximosPassos,
  });
}

const TEMPERATURE_WORDS: Readonly<Record<Temperature, string>> = {
  quente: 'Quente',
  morno: 'Morno',
  frio: 'Frio',
};

type Section = { title: string; slots: readonly SlotName[] };

/** Grouped as a salesperson reads a lead: who to call, which company, what they need. */
const SECTIONS: readonly Section[] = [
  { title: 'Contato', slots: ['name', 'phone', 'email'] },
  { title: 'Empresa', slots: ['company', 'cnpj', 'city', 'uf'] },
  { title: 'Necessidade', slots: ['product', 'application', 'volume', 'urgency'] },
];

/**
 * Plain text, one labelled field per line, blank lines between sections; no markdown, because
 * the CRM shows notes as typed.
 */
export function renderNotePt(summary: LeadSummary): string {
  const lines = [
    'Qualificação do lead (agente Seleto)',
    `Temperatura: ${TEMPERATURE_WORDS[summary.temperature]}`,
    ...listLines('Motivos', summary.reasons),
  ];
  for (const section of SECTIONS) {
    lines.push('', section.title);
    for (const slot of section.slots) lines.push(`${SLOT_LABELS_PT[slot]}: ${renderSlot(summary, slot)}`);
  }
  lines.push('', `Resumo: ${summary.resumo.trim() === '' ? NOT_INFORMED : summary.resumo.trim()}`);
  lines.push(...listLines('Próximos passos', summary.proximosPassos));
  return lines.join('\n');
}

function listLines(title: string, items: readonly string[]): string[] {
  if (items.length === 0) return [`${title}: ${NOT_INFORMED}`];
  return [`${title}:`, ...items.map((item) => `- ${item}`)];
}

function renderSlot(summary: LeadSummary, slot: SlotName): string {
  const value = summary[slot];
  if (value === null) return NOT_INFORMED;
  if (slot === 'cnpj') {
    return isValidCnpj(value)
      ? formatCnpj(value)
      : `${formatCnpj(value)} (dígitos verificadores não conferem)`;
  }
  if (slot === 'phone') return formatPhone(value);
  if (slot === 'urgency' && summary.urgency !== null) return URGENCY_LABELS_PT[summary.urgency];
  return value;
}

/** "+55 (11) 98765-0001" for Brazilian E.164 digits; other numbers as "+" and their digits. */
export function formatPhone(phone: string): string {
  const match = /^55(\d{2})(\d{4,5})(\d{4})$/.exec(phone);
  if (match === null) return /^\d+$/.test(phone) ? `+${phone}` : phone;
  const [, ddd, first, last] = match;
  return `+55 (${ddd}) ${first}-${last}`;
}
