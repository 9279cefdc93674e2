/**
 * When a commercial word is said without being offered: denied ("não temos promoção"), handed
 * to the consultant ("descontos são tratados com o consultor"), or asked of the lead ("vocês
 * pretendem financiar?"). Only word-only hits use these; a figure is a leak however it is framed.
 */

import { countWords } from './match-text.js';

/** A negation reaches this many words forward ("não informamos valores, prazos ou descontos"). */
const NEGATION_REACH_WORDS = 8;

const NEGATION = /\b(?:nao|nem|nunca|jamais)\b/g;
/** "sem" negates only what comes right after it: "sem desconto", not "sem compromisso, temos desconto". */
const SEM_JUST_BEFORE = /\bsem\s+(?:[a-z]+\s+)?$/;
/** Phrases that contain "não" without denying anything, and conditionals ("se não fechar"). */
const NOT_A_DENIAL =
  /^nao\s+(?:se preocupe|perca|deixe|fique|esqueca|hesite|tem problema|custa)|^nao so\b|^nao e so\b/;
const CONDITIONAL_BEFORE = /\bse\s+$/;
/** A turn between the negation and the term starts a new claim: "não é caro, mas temos desconto". */
const TURN =
  /\b(?:mas|porem|contudo|entretanto|so que|todavia)\b|[,:]\s*(?:e\s+)?(?:temos|tem|consigo|conseguimos|damos|oferecemos)\b/;

/** Handing the topic to the consultant: a passive or "quem trata é…" next to who will handle it. */
const HANDED_OVER =
  /\b(?:e|sao|sera|serao|fica|ficam|vai ser|vao ser|seriam|seria)\s+(?:[a-z]+\s+)?(?:tratad|apresentad|passad|informad|definid|avaliad|alinhad|discutid|negociad|combinad|conversad|vist|feit|elaborad|detalhad|explicad|analisad|verificad|confirmad)[oa]s?\b|\b(?:quem|que)\s+(?:trata|define|apresenta|informa|passa|avalia|cuida|fala|ve|explica|confirma)\b|\bfica(?:m)?\s+(?:[a-z]+\s+)?com\b/;
const HANDLER =
  /\b(?:consultor\w*|especialista|equipe|time|comercial|vendedor\w*|representante\w*|proposta)\b/;
/** An offer before the term wins over a deflection: "temos desconto, que o consultor apresenta". */
const OFFER =
  /\b(?:temos|tem|oferecemos|damos|dou|da pra|consigo|conseguimos|rola|existe|ha|ganha|aplicamos|liber\w*|fazemos|faco|garanto|aceitamos|trabalhamos com|estamos com|estou com|esta com|esta em|entra)\b/;

/** A question to the lead about their own plans: "vocês pretendem usar financiamento?". */
const ASKS_THE_LEAD = /\b(?:voces?|vcs?|pretende\w*|prefere\w*|planej\w*|pensa\w*|gostaria\w*)\b/;

export function isNegated(sentence: string, termStart: number): boolean {
  const before = sentence.slice(0, termStart);
  if (SEM_JUST_BEFORE.test(before)) return true;
  const negation = [...before.matchAll(NEGATION)].at(-1);
  if (negation === undefined) return false;
  if (NOT_A_DENIAL.test(sentence.slice(negation.index))) return false;
  if (CONDITIONAL_BEFORE.test(before.slice(0, negation.index))) return false;
  const between = before.slice(negation.index + negation[0].length);
  return !TURN.test(between) && countWords(between) <= NEGATION_REACH_WORDS;
}

export function isDeflected(sentence: string, termStart: number): boolean {
  return HANDED_OVER.test(sentence) && HANDLER.test(sentence) && !OFFER.test(sentence.slice(0, termStart));
}

export function isQuestionToLead(sentence: string, terminator: string): boolean {
  return terminator.includes('?') && ASKS_THE_LEAD.test(sentence);
}
