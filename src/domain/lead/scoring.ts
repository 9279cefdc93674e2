/**
 * Lead temperature by transparent rules, so a salesperson can see why a lead is hot. The plan's
 * score (plano §11): fit + volume + urgency + intent. Each rule adds points and a reason in
 * Portuguese; the total picks the temperature. An LLM may propose a temperature; it is recorded
 * among the reasons but never changes the result (the model cannot be audited, the rules can).
 *
 * Rules (points):
 *   fit      product from our catalogue +20; a business behind the lead (company or CNPJ) +15;
 *            a CNPJ with valid check digits +5
 *   volume   a production volume stated +10
 *   urgency  imediata +30, até 3 meses +20, até 6 meses +10, sem previsão 0
 *   intent   compra +20, revenda +10, pesquisa/outro/unknown 0, estudante −30
 * Thresholds: quente ≥ 70, morno ≥ 40, else frio. Quente also needs the full fit (catalogue
 * product and a business): without it the lead is at most morno, whatever the points.
 * A student or an out-of-scope lead is frio, whatever the points.
 */
import { z } from 'zod';
import { isValidCnpj } from './extractors/cnpj.js';
import { DEFAULT_PRODUCT_KEYWORDS, extractProduct, type ProductCatalogue } from './extractors/needs.js';
import type { LeadSlots, Urgency } from './slots.js';

export const TEMPERATURES = ['quente', 'morno', 'frio'] as const;
export const TemperatureSchema = z.enum(TEMPERATURES);
export type Temperature = z.infer<typeof TemperatureSchema>;

export const INTENTS = ['compra', 'pesquisa', 'estudante', 'revenda', 'outro'] as const;
export const IntentSchema = z.enum(INTENTS);
export type Intent = z.infer<typeof IntentSchema>;

export type LeadSignals = {
  intent: Intent | null;
  /** The conversation is not about equipment we make (a job application, a supplier's pitch). */
  outOfScope?: boolean;
  /** What the LLM thinks; recorded, never decisive. */
  llmProposal?: Temperature;
  /** Defaults to the sample catalogue. */
  catalogue?: ProductCatalogue;
};

export type LeadScore = { temperature: Temperature; score: number; reasons: string[] };

export const HOT_THRESHOLD = 70;
export const WARM_THRESHOLD = 40;

const POINTS = {
  catalogueProduct: 20,
  business: 15,
  validCnpj: 5,
  volume: 10,
  student: -30,
} as const;

const URGENCY_POINTS: Readonly<Record<Urgency, { points: number; label: string }>> = {
  imediata: { points: 30, label: 'Urgência imediata' },
  ate_3_meses: { points: 20, label: 'Compra prevista em até 3 meses' },
  ate_6_meses: { points: 10, label: 'Compra prevista em até 6 meses' },
  sem_previsao: { points: 0, label: 'Sem previsão de compra' },
};

const INTENT_POINTS: Readonly<Record<Intent, { points: number; label: string }>> = {
  compra: { points: 20, label: 'Intenção de compra' },
  revenda: { points: 10, label: 'Interesse em revenda' },
  pesquisa: { points: 0, label: 'Apenas pesquisando' },
  outro: { points: 0, label: 'Intenção não comercial' },
  estudante: { points: POINTS.student, label: 'Estudante ou pesquisa acadêmica' },
};

export function scoreLead(slots: LeadSlots, signals: LeadSignals): LeadScore {
  const reasons: string[] = [];
  let score = 0;
  const add = (points: number, label: string): void => {
    score += points;
    reasons.push(`${label} (${formatPoints(points)})`);
  };

  const product = catalogueProduct(slots.product, signals.catalogue ?? DEFAULT_PRODUCT_KEYWORDS);
  if (product !== null) add(POINTS.catalogueProduct, `Produto do catálogo: ${product}`);
  else if (slots.product !== null) reasons.push(`Produto fora do catálogo: ${slots.product} (+0)`);

  const hasValidCnpj = slots.cnpj !== null && isValidCnpj(slots.cnpj);
  const isBusiness = slots.company !== null || hasValidCnpj;
  if (isBusiness) add(POINTS.business, `Empresa identificada${slots.company ? `: ${slots.company}` : ''}`);
  if (hasValidCnpj) add(POINTS.validCnpj, 'CNPJ válido');

  if (slots.volume !== null) add(POINTS.volume, `Volume informado: ${slots.volume}`);
  if (slots.urgency !== null) add(URGENCY_POINTS[slots.urgency].points, URGENCY_POINTS[slots.urgency].label);
  if (signals.intent !== null) add(INTENT_POINTS[signals.intent].points, INTENT_POINTS[signals.intent].label);

  const hasFit = product !== null && isBusiness;
  const temperature = decide({ score, hasFit, signals, reasons });
  reasons.push(`Total: ${score} pontos (quente ≥ ${HOT_THRESHOLD} com fit, morno ≥ ${WARM_THRESHOLD})`);
  if (signals.llmProposal !== undefined) {
    reasons.push(`Sugestão do modelo: ${signals.llmProposal} (registrada, não decide)`);
  }
  return { temperature, score, reasons };
}

function decide(input: {
  score: number;
  hasFit: boolean;
  signals: LeadSignals;
  reasons: string[];
}): Temperature {
  const { score, hasFit, signals, reasons } = input;
  if (signals.outOfScope === true) {
    reasons.push('Fora do escopo da Seleto: lead frio');
    return 'frio';
  }
  if (signals.intent === 'estudante') {
    reasons.push('Estudante: lead frio');
    return 'frio';
  }
  if (score >= HOT_THRESHOLD && !hasFit) {
    reasons.push('Sem fit completo (produto do catálogo e empresa): no máximo morno');
    return 'morno';
  }
  if (score >= HOT_THRESHOLD) return 'quente';
  return score >= WARM_THRESHOLD ? 'morno' : 'frio';
}

/** The catalogue product(s) a product slot names, whether typed by the lead or by the LLM. */
function catalogueProduct(product: string | null, catalogue: ProductCatalogue): string | null {
  return product === null ? null : extractProduct(product, catalogue);
}

function formatPoints(points: number): string {
  return points < 0 ? `−${Math.abs(points)}` : `+${points}`;
}
