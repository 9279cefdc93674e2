/**
 * Text preparation for the guardrail rules. Every transformation keeps the length of the text,
 * so an index found in the prepared text points at the same characters in the original reply,
 * and a hit can quote what the model actually wrote.
 */

export type Sentence = {
  /** Prepared text of the sentence, without its terminator. */
  text: string;
  /** Index of the sentence's first character in the reply. */
  start: number;
  /** The punctuation that ended it ('' at the end of the reply). */
  terminator: string;
};

const DASHES = /[\u2010-\u2015\u2212]/;
const SINGLE_QUOTES = /[\u2018\u2019\u00b4`]/;
const DOUBLE_QUOTES = /[\u201c\u201d\u00ab\u00bb]/;

/**
 * Lowercase, no accents, one kind of space, quote and dash. Works unit by unit and keeps the
 * first unit of each fold ('ç' → 'c', 'İ' → 'i'), so the length never changes. Newlines stay:
 * they end sentences.
 */
export function foldForMatching(text: string): string {
  let folded = '';
  for (let i = 0; i < text.length; i += 1) folded += foldUnit(text.charAt(i));
  return folded;
}

function foldUnit(unit: string): string {
  if (unit === '\n') return unit;
  if (/\s/.test(unit)) return ' ';
  if (DASHES.test(unit)) return '-';
  if (SINGLE_QUOTES.test(unit)) return "'";
  if (DOUBLE_QUOTES.test(unit)) return '"';
  return unit.toLowerCase().normalize('NFD').charAt(0);
}

/**
 * Numbers that are identifiers, not quantities: contacts, documents, clock times, model and
 * norm codes, years. Each is overwritten with '_' so it reads as a word to the rules.
 */
const IDENTIFIERS: readonly RegExp[] = [
  /\bhttps?:\/\/\S+|\bwww\.\S+/g,
  // The lookbehind starts a try only where a run begins: without it a long run with no '@' costs n².
  /(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g,
  // CNPJ and CPF, with or without punctuation.
  /\b\d{2}\.?\d{3}\.?\d{3}\/?\d{4}-?\d{2}\b/g,
  /\b\d{3}\.\d{3}\.\d{3}-\d{2}\b/g,
  // Phones: (54) 3222-1100, 54 99999-1234, +55 …, 0800 123 4567.
  /(?:\+?55\s?)?(?:\(\d{2}\)\s?|\b\d{2}\s)?\b9?\d{4}[-\s]\d{4}\b/g,
  /\b0[38]00[\s-]?\d{3}[\s-]?\d{4}\b/g,
  // CEP: 95110-000, 01.310-100.
  /\b\d{5}-\d{3}\b|\b\d{2}\.\d{3}-\d{3}\b/g,
  // Clock times: 08:00, 7h30, and a bare hour after "das/às/pelas" ("das 8h às 18h").
  /\b\d{1,2}(?::\d{2}|h\d{2})\b/g,
  /(?<=\b(?:das|as|pelas|apos as|a partir das)\s+)\d{1,2}\s?h(?:rs?|s)?\b/g,
  // Codes glued to letters: EV-3000, X200, IP65, NR-12, BR-116, SELETO10 (not "rs45", money).
  /\b(?!(?:rs|us|usd|brl)\d)[a-z]{1,8}-?\d+[a-z0-9-]*\b/g,
  // Numbers named by the word before them: "linha 3000", "inox 304", "protocolo 2024…", "km 12".
  /(?<=\b(?:modelo|linha|serie|versao|tipo|norma|nr|iso|item|codigo|cod|ref|referencia|lote|protocolo|chamado|inox|aisi|aco|km|br|rodovia|n[o\u00ba\u00b0])\.?\s+)\d[\d./-]*\b/g,
  // Years after words that introduce a year: "desde 1998", "em 2025", "fundada em 1998".
  /(?<=\b(?:desde|em|ano|ano de|fundad[ao] em|meados de|final de|inicio de)\s+)(?:19|20)\d{2}\b(?![.,]\d)/g,
];

function maskIdentifiers(folded: string): string {
  let masked = folded;
  for (const pattern of IDENTIFIERS) {
    masked = masked.replace(pattern, (span) => span.replace(/[^\s]/g, '_'));
  }
  return masked;
}

/** The reply folded and masked: what every rule reads. */
export function prepareForMatching(reply: string): string {
  return maskIdentifiers(foldForMatching(reply));
}

/**
 * Sentences end at '!', '?', ';', a newline, an ellipsis, or a '.' that is not a decimal or
 * thousands separator ("45.000" stays one number).
 */
const SENTENCE_END = /(?:[!?;\n\u2026]|\.(?!\d))+/g;

export function splitSentences(prepared: string): Sentence[] {
  const sentences: Sentence[] = [];
  let start = 0;
  for (const end of prepared.matchAll(SENTENCE_END)) {
    pushSentence(sentences, prepared, start, end.index, end[0]);
    start = end.index + end[0].length;
  }
  pushSentence(sentences, prepared, start, prepared.length, '');
  return sentences;
}

function pushSentence(
  sentences: Sentence[],
  prepared: string,
  start: number,
  end: number,
  terminator: string,
) {
  const text = prepared.slice(start, end);
  if (text.trim().length > 0) sentences.push({ text, start, terminator });
}

export function countWords(text: string): number {
  return text.split(/\s+/).filter((word) => /[\p{L}\p{N}_$%]/u.test(word)).length;
}
