/**
 * Splits a long reply into WhatsApp bubbles that each fit a provider's text limit. Lengths are
 * UTF-16 code units (String#length), which is never less than the character count providers
 * document, so a part that fits here fits there.
 */

/** Break kinds from most to least natural; each pattern matches where a cut may go. */
const BREAKS: ReadonlyArray<{ pattern: RegExp; cutAfterMatch: boolean }> = [
  { pattern: /\n[^\S\n]*\n/g, cutAfterMatch: false },
  { pattern: /\n/g, cutAfterMatch: false },
  // A sentence end: punctuation, maybe closing quotes or brackets, then whitespace.
  { pattern: /[.!?…]+["'”’»)\]]*(?=\s)/g, cutAfterMatch: true },
  { pattern: /\s/g, cutAfterMatch: false },
];

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Ordered, trimmed, non-empty parts of at most maxLength code units. Prefers paragraph breaks,
 * then line breaks, then sentence ends, then spaces; cuts inside a word only when the word alone
 * is longer than maxLength, and then between graphemes, so emoji and accents stay whole.
 * Returns [text.trim()] when it fits and [] for blank text.
 */
export function splitMessage(text: string, maxLength: number): string[] {
  // Two code units is the least that can hold any character without splitting a surrogate pair.
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new RangeError(`maxLength must be an integer >= 2, got ${maxLength}`);
  }
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > maxLength) {
    const cut = findCut(rest, maxLength);
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

/** Where to cut `rest` (which starts with a non-space) so the head fits in maxLength. */
function findCut(rest: string, maxLength: number): number {
  // One extra code unit: whitespace right after the limit is still a clean place to cut.
  const window = rest.slice(0, maxLength + 1);
  for (const { pattern, cutAfterMatch } of BREAKS) {
    const cut = lastBreak(window, pattern, cutAfterMatch, maxLength);
    if (cut > 0) return cut;
  }
  return hardCut(rest, maxLength);
}

function lastBreak(window: string, pattern: RegExp, cutAfterMatch: boolean, maxLength: number): number {
  let best = -1;
  for (const match of window.matchAll(pattern)) {
    const cut = cutAfterMatch ? match.index + match[0].length : match.index;
    if (cut <= maxLength) best = cut;
  }
  return best;
}

/**
 * The last grapheme boundary that fits, so emoji sequences and accents stay whole; inside one
 * grapheme longer than maxLength, the last code point boundary. A boundary depends only on what
 * precedes it and the next code point, so a window of maxLength plus one code point is enough.
 */
function hardCut(rest: string, maxLength: number): number {
  let cut = 0;
  for (const { index } of graphemes.segment(rest.slice(0, maxLength + 2))) {
    if (index <= maxLength) cut = index;
  }
  return cut > 0 ? cut : codePointCut(rest, maxLength);
}

function codePointCut(rest: string, maxLength: number): number {
  const isHighSurrogate = /[\uD800-\uDBFF]/.test(rest.charAt(maxLength - 1));
  return isHighSurrogate ? maxLength - 1 : maxLength;
}
