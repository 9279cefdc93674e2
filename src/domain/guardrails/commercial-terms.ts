/**
 * Finds price, deadline, discount and payment-term leaks in a bot reply. The product rule is
 * that the bot never quotes them; a consultant does, in the proposal. Pure: no I/O.
 *
 * The deciding rules, in order of strength:
 * - a money amount is always a leak (currency, "45.000,00", a round "40 mil" counting nothing);
 * - a price word is a leak when it asserts a value: a figure or an estimate follows it;
 * - a percentage is a leak only next to discount or payment words;
 * - a time span is a leak only next to delivery, production or waiting words, and not when the
 *   sentence is about the consultant contacting the lead (the approved deflection promises that);
 * - discount, payment and delivery words without a figure are leaks unless denied, handed to the
 *   consultant, or (payment only) asked of the lead.
 */

import { countWords, prepareForMatching, type Sentence, splitSentences } from './match-text.js';
import { findQuantities, type Quantity } from './quantities.js';
import { isDeflected, isNegated, isQuestionToLead } from './scope.js';
import {
  CALENDAR_POINT,
  CONTACT_WORDS,
  DELIVERY_PROMISE,
  DISCOUNT_CUES,
  DISCOUNT_WORDS,
  ESTIMATE_AT_END,
  LIST_PRICE,
  MAKING_WORDS,
  NOT_A_WAIT_BEFORE,
  PAYMENT_CUES,
  PAYMENT_METHOD_OFFER,
  PAYMENT_TIME_WORDS,
  PAYMENT_WORDS,
  PRICE_NOUN,
  PRICE_VERB,
  PRICE_VERB_SHORT_REACH,
  PROMISE_BEFORE,
  READY_WORDS,
  SHIPPING_WORDS,
  TRANSFER_WORDS,
  WAIT_WORDS,
} from './vocabulary.js';

export type CommercialKind = 'price' | 'deadline' | 'discount' | 'payment_terms';
export type CommercialHit = { kind: CommercialKind; match: string; reason: string };

/** A hit as positions in the sentence; turned into text of the original reply at the end. */
type Span = { kind: CommercialKind; start: number; end: number; reason: string };

/** How far after a price word a figure still belongs to it ("o preço da envasadora de 4 bicos é 50 mil"). */
const PRICE_REACH_WORDS = 8;
const SHORT_REACH_WORDS = 1;
/** How far back a noun still names what a span measures ("a maturação do queijo leva 60 dias"). */
const CLAUSE_TAIL_WORDS = 4;

type WordRule = { kind: CommercialKind; reason: string; pattern: RegExp; isAskableOfLead?: boolean };

const WORD_RULES: readonly WordRule[] = [
  { kind: 'price', reason: 'names a list or base price', pattern: LIST_PRICE },
  { kind: 'discount', reason: 'offers a discount or special condition', pattern: DISCOUNT_WORDS },
  {
    kind: 'payment_terms',
    reason: 'states a payment condition',
    pattern: PAYMENT_WORDS,
    isAskableOfLead: true,
  },
  { kind: 'payment_terms', reason: 'offers a way to pay', pattern: PAYMENT_METHOD_OFFER },
  { kind: 'deadline', reason: 'promises delivery without a figure', pattern: DELIVERY_PROMISE },
];

export function findCommercialTerms(reply: string): CommercialHit[] {
  const source = reply.normalize('NFC');
  const spans: Span[] = [];
  for (const sentence of splitSentences(prepareForMatching(source))) {
    const quantities = findQuantities(sentence.text);
    const local = [
      ...quantityHits(sentence.text, quantities),
      ...priceWordHits(sentence.text, quantities),
      ...wordHits(sentence),
      ...calendarHits(sentence.text),
    ];
    for (const span of local)
      spans.push({ ...span, start: span.start + sentence.start, end: span.end + sentence.start });
  }
  return withoutOverlaps(spans).map(({ kind, start, end, reason }) => ({
    kind,
    match: source.slice(start, end).trim(),
    reason,
  }));
}

function quantityHits(text: string, quantities: readonly Quantity[]): Span[] {
  const spans: Span[] = [];
  for (const quantity of quantities) {
    const verdict = judgeQuantity(text, quantity, quantities);
    if (verdict) spans.push({ start: quantity.start, end: quantity.end, ...verdict });
  }
  return spans;
}

type Verdict = Pick<Span, 'kind' | 'reason'>;

function judgeQuantity(
  text: string,
  quantity: Quantity,
  quantities: readonly Quantity[],
): Verdict | undefined {
  switch (quantity.kind) {
    case 'money':
      return { kind: 'price', reason: 'money amount' };
    case 'installments':
      // "3x" is a multiplier ("a produtividade aumenta 3x") unless payment is the topic.
      return PAYMENT_CUES.test(text) ? { kind: 'payment_terms', reason: 'number of instalments' } : undefined;
    case 'percent':
      if (DISCOUNT_CUES.test(text)) return { kind: 'discount', reason: 'percentage next to discount words' };
      if (PAYMENT_CUES.test(text))
        return { kind: 'payment_terms', reason: 'percentage next to payment words' };
      return undefined;
    case 'duration':
      return judgeDuration(text, quantity, quantities);
    default:
      return undefined;
  }
}

/** A span of time is a lead time next to delivery words, a payment term next to payment words. */
function judgeDuration(
  text: string,
  quantity: Quantity,
  quantities: readonly Quantity[],
): Verdict | undefined {
  const { timeUnit } = quantity;
  if (quantity.isSchedule || timeUnit === 'minutes' || timeUnit === 'years') return undefined;
  const before = text.slice(0, quantity.start);
  if (NOT_A_WAIT_BEFORE.test(clauseTail(before))) return undefined;
  // Hours measure processes ("produz 4.000 unidades em 1 hora"); only shipping is promised in hours.
  const isHours = timeUnit === 'hours';
  const isThroughput = isHours && quantities.some((other) => isCountedJustBefore(text, other, quantity));
  if (SHIPPING_WORDS.test(text) && !isThroughput) return leadTime('time span next to shipping words');
  if (!isHours && MAKING_WORDS.test(text)) return leadTime('time span next to production words');
  if (PAYMENT_TIME_WORDS.test(text))
    return { kind: 'payment_terms', reason: 'time span next to payment words' };
  // Without shipping or production words, a sentence about the consultant is a callback promise.
  if (CONTACT_WORDS.test(text)) return undefined;
  if (TRANSFER_WORDS.test(text) && !isThroughput) return leadTime('time span next to shipping words');
  if (isHours) return undefined;
  if (WAIT_WORDS.test(text)) return leadTime('time span next to waiting words');
  if (READY_WORDS.test(text)) return leadTime('time span until the equipment runs');
  if (PROMISE_BEFORE.test(before)) return leadTime('promises a time span');
  return undefined;
}

function leadTime(reason: string): Verdict {
  return { kind: 'deadline', reason };
}

/** "4.000 unidades em 1 hora": a counted quantity right before the span makes it a rate. */
function isCountedJustBefore(text: string, other: Quantity, span: Quantity): boolean {
  return (
    other.kind === 'measure' && other.end <= span.start && countWords(text.slice(other.end, span.start)) <= 3
  );
}

/** "o preço é 12.000", "custa aproximadamente…", "o investimento é de…": a price word asserting a value. */
function priceWordHits(text: string, quantities: readonly Quantity[]): Span[] {
  const spans: Span[] = [];
  const anchors = [
    ...[...text.matchAll(PRICE_NOUN)].map((match) => ({ match, reach: PRICE_REACH_WORDS, isVerb: false })),
    ...[...text.matchAll(PRICE_VERB)].map((match) => ({ match, reach: PRICE_REACH_WORDS, isVerb: true })),
    ...[...text.matchAll(PRICE_VERB_SHORT_REACH)].map((match) => ({
      match,
      reach: SHORT_REACH_WORDS,
      isVerb: false,
    })),
  ];
  for (const { match, reach, isVerb } of anchors) {
    const start = match.index;
    const end = start + match[0].length;
    const figure = quantities.find(
      (quantity) =>
        quantity.start >= end &&
        (quantity.kind === 'bare' || quantity.kind === 'rate') &&
        countWords(text.slice(end, quantity.start)) <= reach,
    );
    const rest = text.slice(end);
    if (figure) spans.push({ kind: 'price', start, end: figure.end, reason: 'price word with a figure' });
    else if (reach === PRICE_REACH_WORDS && (ESTIMATE_AT_END.test(rest) || (isVerb && rest.trim() === '')))
      spans.push({ kind: 'price', start, end: text.length, reason: 'price word with an estimate' });
  }
  return spans;
}

function wordHits(sentence: Sentence): Span[] {
  const { text, terminator } = sentence;
  const spans: Span[] = [];
  for (const rule of WORD_RULES) {
    for (const match of text.matchAll(rule.pattern)) {
      if (isNegated(text, match.index) || isDeflected(text, match.index)) continue;
      if (rule.isAskableOfLead && isQuestionToLead(text, terminator)) continue;
      spans.push({
        kind: rule.kind,
        start: match.index,
        end: match.index + match[0].length,
        reason: rule.reason,
      });
    }
  }
  return spans;
}

/** "entregamos até março", "embarca na sexta-feira", "previsão de embarque: 15/05". */
function calendarHits(text: string): Span[] {
  const isDelivery = MAKING_WORDS.test(text) || SHIPPING_WORDS.test(text);
  const isWait = !CONTACT_WORDS.test(text) && (TRANSFER_WORDS.test(text) || WAIT_WORDS.test(text));
  if (!isDelivery && !isWait) return [];
  return [...text.matchAll(CALENDAR_POINT)]
    .filter((match) => isCalendarDate(match[0]))
    .map((match) => ({
      kind: 'deadline' as const,
      start: match.index,
      end: match.index + match[0].length,
      reason: 'date next to delivery words',
    }));
}

/** "15/05" is a date; "30/60" is a payment schedule and "24/7" a schedule of hours. */
function isCalendarDate(point: string): boolean {
  const parts = /^(\d{1,2})\/(\d{1,2})/.exec(point);
  if (!parts) return true;
  const [day, month] = [Number(parts[1]), Number(parts[2])];
  return day >= 1 && day <= 31 && month >= 1 && month <= 12 && !(day === 24 && month === 7);
}

/** The last words of the clause before a span: "a maturação do queijo leva", "garantia de". */
function clauseTail(before: string): string {
  const clause = before.split(/[,:;()]/).at(-1) ?? '';
  return clause.split(/\s+/).filter(Boolean).slice(-CLAUSE_TAIL_WORDS).join(' ');
}

/** One hit per place: the longest wins, so "sai por R$ 45.000" is reported once. */
function withoutOverlaps(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Span[] = [];
  for (const span of sorted) {
    const overlaps = kept.some((other) => span.start < other.end && other.start < span.end);
    if (!overlaps) kept.push(span);
  }
  return kept;
}
