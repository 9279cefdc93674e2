/**
 * City and state (UF) from a lead's message: "Campinas/SP", "de Joinville, SC", "sou de
 * Curitiba", "aqui em BH", "cidade: Caxias do Sul", "interior de Minas". Many UF codes are also
 * Portuguese words or WhatsApp shorthand ("se", "to", "ma", "rs" for laughter, "mt" for muito),
 * so a code counts only where it clearly names a state; see readCode.
 */
import { CITIES, type CityEntry, STATES, type StateEntry, UF_CODES, type UfCode } from './places.js';
import {
  escapeRegExp,
  type FoldedText,
  fold,
  foldText,
  isCapitalized,
  titleCase,
  WORD_END,
  WORD_START,
  wordsFrom,
} from './text.js';

export type Location = { city: string | null; uf: UfCode | null };

const UF_SET: ReadonlySet<string> = new Set(UF_CODES);

/** Codes that are everyday words; uppercase alone is not enough for them. */
const WORD_LIKE_CODES = new Set(['se', 'es', 'ma', 'to', 'pa', 'al', 'ce', 'am', 'ap', 'pi', 'rn', 'pb']);
/** Lowercase codes that may be chat noise ("rs" laughter, "mt" muito, "mg" milligram, "pe" pé). */
const RISKY_LOWERCASE_CODES = new Set([...WORD_LIKE_CODES, 'rs', 'mt', 'mg', 'ms', 'pe', 'go', 'ac', 'ba']);
/** Lowercase codes nobody types for anything else. */
const SAFE_LOWERCASE_CODES = new Set(['sp', 'rj', 'sc', 'df']);

/** Words that end right before a place: "sou de", "aqui em", "fica na", "cidade:". */
const PLACE_CUE_BEFORE =
  /(?:(?:^|[^a-z])em|(?:sou|somos|moro|moramos|vivo|resido|venho|vim|natural|daqui|direto|aqui|estou|estamos|fica|fico|ficamos|ficam|localizad[ao]s?|sediad[ao]s?|situad[ao]s?|regiao|interior|estado)\s+(?:de|do|da|em|no|na)|cidade\s*(?:[:=-]|e|eh|de)?)\s*$/;
const STRONG_CUE_BEFORE =
  /(?:sou|somos|moro|moramos|vivo|resido|venho|natural|daqui|aqui|estou|estamos|fica|fico|ficamos|ficam|localizad[ao]s?|sediad[ao]s?|situad[ao]s?)\s+(?:de|do|da|em|no|na)\s*$/;
const WEAK_CUE_BEFORE = /(?:^|[^a-z])(?:em|no|na|do|da|de)\s+$/;
const LABEL_BEFORE = /(?:^|[^a-z])(?:estado|uf)\s*(?:[:=-]|e|eh|de|do|da)?\s*$/;
const PAIR_BEFORE = /\p{L}\.?\s*(?:\/|\(|-|–|,)\s*$/u;
/** "estado de São Paulo", "interior do Rio": the state, not the city of the same name. */
const STATE_CONTEXT_BEFORE = /(?:estado|interior|litoral|grande)\s+(?:de|do|da)?\s*$/;
const CUE_WINDOW = 40;

/** An unknown city right before a UF: "Itupeva/SP", "Pouso Redondo - SC", "Vinhedo (sp)". */
const UNKNOWN_CITY_PAIR =
  /\p{Lu}[\p{L}'’]*(?:[ \t]+(?:d[aeo]s?|\p{Lu}[\p{L}'’]*)){0,4}[ \t]*(?:\/|\(|-|–|,)[ \t]*\p{L}{2}(?![\p{L}\p{N}])/gu;
const UNKNOWN_CITY_CUE =
  /(?:(?:sou|somos|moro|moramos|vivo|resido|venho|natural|daqui)\s+de|(?:moro|moramos|estou|estamos|fica|fico|ficamos|ficam|localizad[ao]s?|sediad[ao]s?|situad[ao]s?|aqui)\s+em)\s+/g;
const CITY_LABEL = /cidade\s*(?:[:=-]|e\s|eh\s|de\s)\s*/g;
const MAX_CITY_WORDS = 4;

/** Capitalised words after a cue that are not places: departments, countries, situations. */
const NOT_CITIES = new Set(
  'compras vendas comercial engenharia manutencao producao qualidade marketing logistica rh ti financeiro suprimentos setor area familia empresa casa reuniao ferias viagem contato horario brasil portugal argentina paraguai uruguai chile bolivia angola mocambique eua usa'.split(
    ' ',
  ),
);
/** Capitalised words that start a sentence before a city: "Sou de Itupeva/SP". */
const LEADING_NON_CITY = new Set(
  'sou somos moro aqui em de do da no na cidade oi ola bom boa dia tarde noite fica fico estou estamos empresa fabrica sede unidade natural daqui e eh obrigado obrigada'.split(
    ' ',
  ),
);

const PARTICLES = new Set(['da', 'de', 'do', 'das', 'dos']);

type Alias<T> = { entry: T; needsCue: boolean };
const CITY_ALIASES = aliasTable(CITIES);
const STATE_ALIASES = aliasTable(STATES);
const CITY_PATTERN = aliasPattern(CITY_ALIASES);
const STATE_PATTERN = aliasPattern(STATE_ALIASES);
const STATE_FOLDED_NAMES = new Set(STATE_ALIASES.keys());

/** The message folded, and whether it was typed in capitals (then case tells nothing). */
type PlaceText = FoldedText & { isShouting: boolean };

export function extractLocation(message: string): Location {
  const folded = foldText(message);
  const text: PlaceText = { ...folded, isShouting: isShouting(folded.original) };
  // The first city named wins ("Itupeva/SP, perto de Campinas" is Itupeva), listed or not; a
  // city after a cue without a UF is the weakest reading and only fills a gap.
  const paired = [findKnownCity(text), findUnknownCityWithUf(text)].filter((found) => found !== null);
  const city = paired.sort((a, b) => a.index - b.index)[0] ?? findUnknownCityAfterCue(text);
  return { city: city?.name ?? null, uf: city?.uf ?? findUf(text) };
}

/** True when the words name a known city or state ("Bahia", "sao paulo"), for other extractors. */
export function isKnownPlace(words: string): boolean {
  const folded = foldText(words.trim()).folded.replace(/\s+/g, ' ');
  return CITY_ALIASES.has(folded) || STATE_ALIASES.has(folded);
}

type FoundCity = { name: string; uf: UfCode | null; index: number };

function findKnownCity(text: PlaceText): FoundCity | null {
  // "rio" inside "rio grande do sul" is part of a state's name, not the city of Rio.
  const stateSpans = [...text.folded.matchAll(STATE_PATTERN)].map((m) => [m.index, m.index + m[0].length]);
  for (const match of text.folded.matchAll(CITY_PATTERN)) {
    const alias = CITY_ALIASES.get(match[0].replace(/\s+/g, ' '));
    if (alias === undefined) continue;
    const start = match.index;
    const end = start + match[0].length;
    const isInsideState = stateSpans.some(
      ([from = 0, to = 0]) => from <= start && end <= to && to - from > end - start,
    );
    if (isInsideState) continue;
    const before = text.folded.slice(Math.max(0, start - CUE_WINDOW), start);
    if (STATE_FOLDED_NAMES.has(fold(alias.entry.name)) && STATE_CONTEXT_BEFORE.test(before)) continue;
    const pairedUf = readUfAfter(text, end);
    const isClear =
      !alias.needsCue ||
      PLACE_CUE_BEFORE.test(before) ||
      pairedUf !== null ||
      isWholeMessage(text, start, end);
    if (isClear) return { name: alias.entry.name, uf: pairedUf ?? alias.entry.uf, index: start };
  }
  return null;
}

function findUnknownCityWithUf(text: PlaceText): FoundCity | null {
  for (const match of text.original.matchAll(UNKNOWN_CITY_PAIR)) {
    const codeStart = match.index + match[0].length - 2;
    const uf = readCode(text, codeStart);
    if (uf === null) continue;
    const cityPart = match[0].slice(0, -2).replace(/[\s/(\-–,]+$/, '');
    const words = dropLeadingNonCity(cityPart.split(/[ \t]+/));
    const name = text.isShouting ? titleCase(words.join(' ')) : words.join(' ');
    if (words.length > 0 && !isKnownPlace(name) && !NOT_CITIES.has(foldText(words[0] ?? '').folded)) {
      return { name, uf, index: match.index };
    }
  }
  return null;
}

function findUnknownCityAfterCue(text: PlaceText): FoundCity | null {
  // In a message typed in capitals every word looks like a name; only a labelled answer counts.
  const loose = text.isShouting ? [] : [...text.folded.matchAll(UNKNOWN_CITY_CUE)];
  const cues = [
    ...loose.map((match) => ({ match, isLabel: false })),
    ...[...text.folded.matchAll(CITY_LABEL)].map((match) => ({ match, isLabel: true })),
  ];
  for (const { match, isLabel } of cues) {
    const name = readCityWords(text, match.index + match[0].length, isLabel);
    if (name !== null) return { name, uf: null, index: match.index };
  }
  return null;
}

/** Up to four words of a city name; a labelled answer ("cidade: itupeva") may be lowercase. */
function readCityWords(text: PlaceText, from: number, isLabel: boolean): string | null {
  const taken: string[] = [];
  for (const { word } of wordsFrom(text.original.slice(from))) {
    const clean = word.replace(/[.,;:!?)]+$/, '');
    const folded = foldText(clean).folded;
    const isParticle = PARTICLES.has(folded) && taken.length > 0;
    const isCode = taken.length > 0 && UF_SET.has(clean.toUpperCase()) && clean.length === 2;
    if (isCode || !/^\p{L}[\p{L}'’-]*$/u.test(clean)) break;
    if (!isParticle && !isLabel && !isCapitalized(clean)) break;
    taken.push(clean);
    if (clean !== word || taken.length >= MAX_CITY_WORDS) break;
  }
  while (taken.length > 0 && PARTICLES.has(foldText(taken.at(-1) ?? '').folded)) taken.pop();
  const name = taken.join(' ');
  const first = foldText(taken[0] ?? '').folded;
  if (taken.length === 0 || NOT_CITIES.has(first) || LEADING_NON_CITY.has(first) || isKnownPlace(name))
    return null;
  return isLabel ? titleCase(name) : name;
}

/** The earliest clear state mention: a full name ("Paraná", "rio grande do sul") or a UF code. */
function findUf(text: PlaceText): UfCode | null {
  const candidates: Array<{ index: number; uf: UfCode }> = [];
  for (const match of text.folded.matchAll(STATE_PATTERN)) {
    const alias = STATE_ALIASES.get(match[0].replace(/\s+/g, ' '));
    if (alias === undefined) continue;
    const before = text.folded.slice(Math.max(0, match.index - CUE_WINDOW), match.index);
    const typed = text.original.slice(match.index, match.index + match[0].length);
    // "Pará" with its accent is the state; "para" is the preposition.
    const hasAccent = typed.toLowerCase() !== match[0];
    if (!alias.needsCue || hasAccent || PLACE_CUE_BEFORE.test(before) || STATE_CONTEXT_BEFORE.test(before)) {
      candidates.push({ index: match.index, uf: alias.entry.uf });
    }
  }
  for (const match of text.folded.matchAll(/(?<![\p{L}\p{N}])[a-z]{2}(?![\p{L}\p{N}])/gu)) {
    const uf = readCode(text, match.index);
    if (uf !== null) candidates.push({ index: match.index, uf });
  }
  candidates.sort((a, b) => a.index - b.index);
  return candidates[0]?.uf ?? null;
}

function readUfAfter(text: PlaceText, end: number): UfCode | null {
  const after = /^\s*(?:\/|\(|-|–|,)?\s*([a-z]{2})(?![\p{L}\p{N}])/u.exec(text.folded.slice(end));
  if (after === null) return null;
  const codeStart = end + after[0].length - 2;
  return readCode(text, codeStart, true);
}

/**
 * A two-letter token as a UF, or null. Labelled ("UF: se") always counts; after a city or a
 * place cue an uppercase code counts, and a lowercase one unless it is chat noise followed by
 * more words ("Campinas, se puder"); after a bare preposition ("em SE") only uppercase or an
 * unmistakable code; standing alone, uppercase codes that are not words, or sp/rj/sc/df.
 * Uppercase means nothing in a message typed all in capitals.
 */
function readCode(text: PlaceText, start: number, isAfterCity = false): UfCode | null {
  const code = text.folded.slice(start, start + 2);
  const uf = code.toUpperCase();
  if (!isUfCode(uf)) return null;
  const typed = text.original.slice(start, start + 2);
  const isUpper = typed === uf && !text.isShouting;
  const before = text.folded.slice(Math.max(0, start - CUE_WINDOW), start);
  const isFollowedByWord = /^\s+[\p{L}\p{N}]/u.test(text.folded.slice(start + 2));
  const isPlain = isUpper || !RISKY_LOWERCASE_CODES.has(code) || !isFollowedByWord;
  if (LABEL_BEFORE.test(before)) return uf;
  if (isAfterCity || PAIR_BEFORE.test(before) || STRONG_CUE_BEFORE.test(before)) return isPlain ? uf : null;
  if (WEAK_CUE_BEFORE.test(before)) return isUpper || SAFE_LOWERCASE_CODES.has(code) ? uf : null;
  return (isUpper && !WORD_LIKE_CODES.has(code)) || SAFE_LOWERCASE_CODES.has(code) ? uf : null;
}

function isUfCode(code: string): code is UfCode {
  return UF_SET.has(code);
}

/** Mostly capitals over a real sentence: caps lock, not emphasis. */
function isShouting(original: string): boolean {
  const letters = original.match(/\p{L}/gu) ?? [];
  const upper = letters.filter((letter) => letter !== letter.toLowerCase()).length;
  return letters.length >= 12 && upper / letters.length > 0.8;
}

/** The city is the whole answer ("Natal", "natal - rn."), as to "de qual cidade você fala?". */
function isWholeMessage(text: PlaceText, start: number, end: number): boolean {
  return /^[\s\p{P}]*$/u.test(text.folded.slice(0, start)) && /^[\s\p{P}]*$/u.test(text.folded.slice(end));
}

function dropLeadingNonCity(words: string[]): string[] {
  const rest = [...words];
  while (rest.length > 0 && LEADING_NON_CITY.has(foldText(rest[0] ?? '').folded)) rest.shift();
  return rest;
}

function aliasTable<T extends CityEntry | StateEntry>(entries: readonly T[]): Map<string, Alias<T>> {
  const table = new Map<string, Alias<T>>();
  for (const entry of entries) {
    for (const alias of entry.aliases) table.set(alias, { entry, needsCue: false });
    for (const alias of entry.cueOnlyAliases ?? []) table.set(alias, { entry, needsCue: true });
  }
  return table;
}

/** Longest aliases first, so "rio grande do sul" wins over "rio" and "sao jose dos campos" over "sao jose". */
function aliasPattern(table: ReadonlyMap<string, unknown>): RegExp {
  const alternatives = [...table.keys()]
    .sort((a, b) => b.length - a.length)
    .map((alias) => escapeRegExp(alias).replace(/ /g, '\\s+'));
  return new RegExp(`${WORD_START}(?:${alternatives.join('|')})${WORD_END}`, 'gu');
}
