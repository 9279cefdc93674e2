/**
 * The lead's company from how people say where they work: "da empresa Acme Alimentos",
 * "trabalho na Laticínios Boa Vista", "sou da Acme", "empresa: X Ltda", "represento a Y",
 * "sou a Carla, da Acme". Places ("sou da Bahia") and departments ("sou do comercial") are not
 * companies.
 */
import { isKnownPlace } from './location.js';
import { PARTICLE_SURNAMES } from './name.js';
import { foldText, isCapitalized, titleCase, wordsFrom } from './text.js';

type CompanyCue = {
  pattern: RegExp;
  /** A labelled answer ("empresa: acme") may be lowercase; a loose "sou da" needs a capital. */
  isLabelled: boolean;
  /** The cue is a person's name and "da": "Maria da Silva" may be her surname, not a company. */
  followsName?: boolean;
};

const COMPANY_CUES: readonly CompanyCue[] = [
  { pattern: /(?<![a-z])(?:nome\s+da\s+)?empresa\s*[:=-]\s*/g, isLabelled: true },
  { pattern: /(?<![a-z])(?:nome\s+da\s+empresa\s+(?:e|eh)|empresa\s+(?:se\s+)?chama)\s+/g, isLabelled: true },
  { pattern: /(?<![a-z])razao\s+social\s*(?:[:=-]|\s(?:e|eh)\s)\s*/g, isLabelled: true },
  { pattern: /(?<![a-z])(?:da|na|pela|para\s+a|pra)\s+empresa\s+/g, isLabelled: true },
  // "a empresa é grande", "nossa empresa produz": only a capitalised word is a name here.
  { pattern: /(?<![a-z])(?:a|minha|nossa)\s+empresa\s+(?:e\s+|eh\s+)?(?:a\s+|o\s+)?/g, isLabelled: false },
  { pattern: /(?<![a-z])represento\s+(?:a\s+|o\s+)?(?:empresa\s+)?/g, isLabelled: false },
  {
    pattern: /(?<![a-z])trabalho\s+(?:na|no|pela|pelo|para\s+a|para\s+o|pra)\s+(?:empresa\s+)?/g,
    isLabelled: false,
  },
  { pattern: /(?<![a-z])(?:eu\s+)?(?:sou|somos)\s+(?:da|do)\s+/g, isLabelled: false },
  {
    pattern:
      /(?<![a-z])(?:aqui\s+(?:e|eh)|falo|escrevo|falamos)\s+(?:da|do|pela|pelo|em\s+nome\s+da|em\s+nome\s+do)\s+/g,
    isLabelled: false,
  },
  { pattern: /(?<![a-z])somos\s+(?:a|o)\s+/g, isLabelled: false },
  // "sou a Carla, da Acme", "sou engenheiro da Acme": a name or a job, then the company.
  {
    pattern:
      /(?<![a-z])(?:sou|aqui\s+(?:e|eh)|me\s+chamo|meu\s+nome\s+(?:e|eh))\s+(?:o\s+|a\s+)?[\p{L}'’-]+(?:\s+\p{L}[\p{L}'’-]*)?\s*,?\s+(?:da|do)\s+(?:empresa\s+)?/gu,
    isLabelled: false,
    followsName: true,
  },
];

const MAX_COMPANY_WORDS = 6;

/** Legal suffixes end a company name ("Acme Ltda. Preciso..." stops at Ltda.). */
const LEGAL_SUFFIXES = new Set(['ltda', 'ltda.', 's/a', 's.a.', 's.a', 'eireli', 'eireli.']);
/** Suffixes that are also pronouns or words ("me liga", "sa"): only in capitals. */
const UPPERCASE_SUFFIXES = new Set(['ME', 'EPP', 'SA']);
/** Inside a name whatever the case: "Silva & Cia". */
const INNER_SYMBOLS = new Set(['&', 'cia', 'cia.']);
const CONNECTORS = new Set(['de', 'do', 'da', 'dos', 'das', 'e']);

/** Words that end a company name or show the cue meant something else. */
const STOP_WORDS = new Set(
  'que em para pra com aqui ai gostaria queria quero preciso precisamos estamos somos tenho temos sou onde como ha faz la e mas porque pois tambem ja hoje atualmente setor area voces vc voce'.split(
    ' ',
  ),
);

/** "sou do comercial", "trabalho na manutenção": departments, not companies. */
const DEPARTMENTS = new Set(
  'compras vendas comercial engenharia manutencao producao qualidade marketing logistica rh ti financeiro suprimentos administrativo diretoria fabrica industria empresa setor area laboratorio'.split(
    ' ',
  ),
);

/** We are Seleto: a lead saying "falo da Seleto" is quoting us, not naming their company. */
const OUR_NAMES = new Set(['seleto', 'seleto industrial']);

export function extractCompany(message: string): string | null {
  const text = foldText(message);
  for (const cue of COMPANY_CUES) {
    for (const match of text.folded.matchAll(cue.pattern)) {
      const company = readCompany(text.original.slice(match.index + match[0].length), cue.isLabelled);
      // "meu nome é Maria da Silva": after "da", a surname is the rest of a name, not a company.
      const isSurname = cue.followsName === true && isParticleSurname(company);
      if (company !== null && !isSurname) return company;
    }
  }
  return null;
}

function readCompany(rest: string, isLabelled: boolean): string | null {
  const taken: string[] = [];
  for (const { word } of wordsFrom(rest)) {
    const clean = word.replace(/[,;:!?)…"]+$/, '');
    const bare = clean.replace(/\.+$/, '');
    const isSuffix =
      taken.length > 0 && (LEGAL_SUFFIXES.has(clean.toLowerCase()) || UPPERCASE_SUFFIXES.has(bare));
    if (isSuffix) {
      taken.push(clean);
      break;
    }
    const folded = foldText(bare).folded;
    if (bare.length === 0 || !isPartOfName(bare, folded, taken.length, isLabelled)) break;
    taken.push(INNER_SYMBOLS.has(clean.toLowerCase()) ? clean : bare);
    const endsClause = clean !== word || (bare !== clean && !INNER_SYMBOLS.has(clean.toLowerCase()));
    if (taken.length >= MAX_COMPANY_WORDS || endsClause) break;
  }
  while (taken.length > 0 && CONNECTORS.has(foldText(taken.at(-1) ?? '').folded)) taken.pop();
  return acceptable(taken);
}

function isPartOfName(word: string, folded: string, position: number, isLabelled: boolean): boolean {
  if (!/^[\p{L}\p{N}&]/u.test(word)) return false;
  if (INNER_SYMBOLS.has(word.toLowerCase())) return position > 0;
  if (CONNECTORS.has(folded)) return position > 0 && folded !== 'e';
  if (STOP_WORDS.has(folded)) return false;
  return isLabelled || isCapitalized(word);
}

function acceptable(words: string[]): string | null {
  if (words.length === 0) return null;
  const name = words.join(' ');
  const folded = foldText(name).folded;
  if (DEPARTMENTS.has(folded) || OUR_NAMES.has(folded) || isKnownPlace(name)) return null;
  const isAllLowercase = name === name.toLowerCase();
  return isAllLowercase ? titleCase(name) : name;
}

function isParticleSurname(company: string | null): boolean {
  const first = foldText(company?.split(' ')[0] ?? '').folded;
  return PARTICLE_SURNAMES.has(first);
}
