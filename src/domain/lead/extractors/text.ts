/**
 * Text helpers shared by the lead extractors. Leads write on WhatsApp with and without accents
 * and in any case, so matching runs on a folded copy (lowercase, no diacritics) that keeps every
 * character at the index it has in the original: a match found in the fold is sliced from the
 * original, so what we keep is spelled the way the lead spelled it.
 */

export type FoldedText = { readonly original: string; readonly folded: string };

/** Word edges that also treat accented letters as letters (JavaScript's \b does not). */
export const WORD_START = '(?<![\\p{L}\\p{N}])';
export const WORD_END = '(?![\\p{L}\\p{N}])';

/** Particles that stay lowercase inside Brazilian personal and place names. */
const NAME_PARTICLES = new Set(['da', 'de', 'do', 'das', 'dos', 'e']);

/**
 * The original (NFC, so 'é' is one code unit however it was typed) and its fold, of the same
 * length. A character whose fold would change the length (rare: 'İ') is kept as it is.
 */
export function foldText(text: string): FoldedText {
  const original = text.normalize('NFC');
  let folded = '';
  for (let index = 0; index < original.length; index++) folded += foldChar(original.charAt(index));
  return { original, folded };
}

export function fold(text: string): string {
  return foldText(text).folded;
}

/** "ana DA silva" → "Ana da Silva"; the first word is capitalised even when it is a particle. */
export function titleCase(text: string): string {
  return text
    .trim()
    .split(/\s+/)
    .map((word, index) => {
      const lower = word.toLocaleLowerCase('pt-BR');
      if (index > 0 && NAME_PARTICLES.has(lower)) return lower;
      return lower.replace(/(^|[-'’])(\p{L})/gu, (_all, edge: string, letter: string) => {
        return edge + letter.toLocaleUpperCase('pt-BR');
      });
    })
    .join(' ');
}

export function isCapitalized(word: string): boolean {
  return /^\p{Lu}/u.test(word) || /^\p{N}/u.test(word);
}

/** Phrase readers look at most this many words ahead, so a long message costs linear time. */
export const MAX_PHRASE_WORDS = 12;

/** Whole words of a stretch of text (at most maxWords), with where each starts. */
export function wordsFrom(
  text: string,
  options: { offset?: number; maxWords?: number } = {},
): Array<{ word: string; start: number }> {
  const { offset = 0, maxWords = MAX_PHRASE_WORDS } = options;
  const words: Array<{ word: string; start: number }> = [];
  for (const match of text.matchAll(/\S+/g)) {
    if (words.length >= maxWords) break;
    words.push({ word: match[0], start: offset + match.index });
  }
  return words;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function foldChar(char: string): string {
  const base = char.normalize('NFD').charAt(0).toLowerCase();
  return base.length === 1 ? base : char;
}
