/**
 * The reply policy enforced in code on every bot reply, whatever the model said: no price,
 * deadline, discount or payment terms, and at most two questions. Also the approved texts the
 * agent falls back on. Pure: no I/O.
 */

import { type CommercialHit, findCommercialTerms } from './commercial-terms.js';
import { foldForMatching } from './match-text.js';
import { limitQuestions } from './questions.js';

export type GuardrailRule = 'commercial_terms' | 'too_many_questions';
export type GuardrailViolation = { rule: GuardrailRule; detail: string };
export type GuardrailVerdict = { ok: boolean; violations: GuardrailViolation[] };
export type CheckReplyOptions = { maxQuestions?: number };

/** The product plan: "no máximo 2 perguntas seguidas". */
export const DEFAULT_MAX_QUESTIONS = 2;

/** Sent when the lead asks about price, deadline or discount. Passes checkReply; no figures. */
export const PRICE_DEFLECTION =
  'Ótima pergunta! Valores, prazos e condições dependem da configuração ideal para o seu processo, ' +
  'por isso quem apresenta a proposta é um dos nossos consultores, depois de entender bem a sua aplicação. ' +
  'Assim você recebe uma proposta feita sob medida para a sua necessidade.';

/** Replaces a reply that still violates the policy after one regeneration. One neutral question. */
export const SAFE_FALLBACK_REPLY =
  'Obrigado pelo contato! Um consultor da Seleto Industrial vai dar continuidade ao seu atendimento. ' +
  'Para adiantarmos, em qual aplicação ou produto você tem interesse?';

export function checkReply(
  reply: string,
  { maxQuestions = DEFAULT_MAX_QUESTIONS }: CheckReplyOptions = {},
): GuardrailVerdict {
  const violations: GuardrailViolation[] = findCommercialTerms(reply).map((hit) => ({
    rule: 'commercial_terms',
    detail: describeHit(hit),
  }));
  const questions = limitQuestions(reply, maxQuestions);
  if (!questions.isWithinLimit) {
    violations.push({
      rule: 'too_many_questions',
      detail: `${questions.count} questions, at most ${maxQuestions} allowed`,
    });
  }
  return { ok: violations.length === 0, violations };
}

/** Written for the regeneration prompt and the agent_events row: what leaked and why. */
function describeHit({ kind, match, reason }: CommercialHit): string {
  return `${kind}: "${match}" (${reason})`;
}

/**
 * What a lead writes when asking for price, deadline, discount or payment terms, on folded text
 * (lowercase, no accents), so "preço", "preco" and "PREÇO" read alike. Abbreviations as typed on
 * WhatsApp: "qto", "qnto", "qdo", "vcs".
 */
const LEAD_ASKS: readonly RegExp[] = [
  // "quanto custa", "qto fica", "quanto é?", "quanto vcs cobram"; not "quanto tempo" or "quanto de produto".
  /\b(?:quanto|qto|qnto|qnt|qt)\b(?!\s+(?:tempo|de|da|do|dos|das)\b)(?:\s+(?:[a-z]+\s+)?(?:cust\w*|sai\w*|fic\w*|e|eh|ta|esta|vale|cobr\w*|seri\w*|que|pag\w*|invest\w*)\b|\s*\?|\s*$)/,
  // "faz por quanto", "sai de quanto".
  /\b(?:por|pra|de)\s+(?:quanto|qto|qnto)\b|\bquantos reais\b/,
  // Price words: "qual o valor", "preço?", "queria um orçamento".
  /\b(?:precos?|precinho|valor(?:es)?|custos?|custa\w*|investimentos?|orcament\w*|cotac\w*|cotar|tabela)\b/,
  // Discount and payment: "tem desconto?", "valor à vista", "aceita cartão?", "trabalham com finame?".
  /\b(?:descont\w*|abatimento|promoc\w*|negociar|mais barat\w*|faz(?:em)? por menos|a vista|avista|parcel\w*|boleto|financ(?:ia|iamento|iar)\w*|finame|bndes|leasing|juros|pix|(?:no|aceita\w*|pelo) cartao|forma\w* de pagamento|condic\w* de pagamento|condic\w* comercia\w*)\b/,
  // Deadline: "qual o prazo de entrega", "tem pronta entrega?", "quanto tempo pra entregar".
  /\b(?:prazo\w*|lead ?time|pronta[- ]?entrega|entrega imediata|(?:tem|tem em|em) estoque)\b/,
  /\bquanto tempo\b[^?]*\b(?:entreg|cheg|pront|demor|lev|fabric|produz|instal|fic|sai)\w*/,
  /\b(?:quando|qdo|qndo|qnd)\b[^?]*\b(?:entreg\w*|cheg\w*|fica(?:ria)? pront\w*|envi\w*|despach\w*|receb\w*|instal\w*)/,
  /\b(?:demora|leva)\s+(?:quanto|muito|qto|mto)\b|\bem quantos dias\b/,
  // A currency sign is a price question whatever surrounds it.
  /r\$|\$/,
];

/** True when the lead asks about a commercial term, so the agent answers with PRICE_DEFLECTION. */
export function asksForCommercialTerms(leadMessage: string): boolean {
  const folded = foldForMatching(leadMessage.normalize('NFC'));
  return LEAD_ASKS.some((pattern) => pattern.test(folded));
}
