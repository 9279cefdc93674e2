/**
 * The lead's own name from how people introduce themselves on WhatsApp: "meu nome é Ana Souza",
 * "aqui é o João", "me chamo Maria", "sou a Carla, da Acme", "é a Fernanda falando". Only the
 * person's name: a company after it ("da Acme") and a job or a place ("sou engenheiro", "sou de
 * Campinas") are not names.
 */
import { type FoldedText, foldText, isCapitalized, titleCase, wordsFrom } from './text.js';

type NameCue = {
  pattern: RegExp;
  /** Without an explicit "meu nome é", a lowercase word after "sou" is more often not a name. */
  needsCapital: boolean;
};

/** Strongest first: an explicit "meu nome é" beats a "sou ..." later in the message. */
const NAME_CUES: readonly NameCue[] = [
  { pattern: /meu\s+nome\s+(?:completo\s+)?(?:(?:eh|e)(?![a-z]))?\s*[:=-]?\s*/g, needsCapital: false },
  { pattern: /(?<![a-z])nome\s*(?:completo\s*)?[:=-]\s*/g, needsCapital: false },
  { pattern: /(?<![a-z])me\s+(?:chamo|xamo)\s+/g, needsCapital: false },
  { pattern: /(?<![a-z])(?:pode\s+)?me\s+chamar\s+de\s+/g, needsCapital: false },
  { pattern: /(?<![a-z])(?:aqui\s+)?(?:quem\s+fala\s+)(?:e|eh)\s+(?:o\s+|a\s+)?/g, needsCapital: false },
  { pattern: /(?<![a-z])aqui\s+(?:e|eh)\s+(?:o|a)\s+/g, needsCapital: false },
  { pattern: /(?<![a-z])aqui\s+(?:e|eh)\s+/g, needsCapital: true },
  { pattern: /(?<![a-z])(?:eu\s+)?sou\s+(?:o|a)\s+/g, needsCapital: false },
  { pattern: /(?<![a-z])(?:eu\s+)?sou\s+/g, needsCapital: true },
];

/** "Fernanda falando", "é a Fernanda falando": the name words right before "falando". */
const SPEAKING = /(?<![a-z])falando(?![a-z])/g;
const ARTICLE_AFTER_VERB = /(?:^|[^a-z])(?:e|eh)\s+(?:o|a)\s*$/;
const MAX_SPEAKER_WORDS = 3;
/** Enough for three long names; bounds the look-back so a long message stays linear. */
const SPEAKER_WINDOW_CHARS = 100;

const MAX_NAME_WORDS = 4;

/** Words that end (or rule out) a name: greetings, verbs, jobs, departments, pronouns. */
const NOT_NAME_WORDS = new Set(
  [
    'e o a os as um uma de da do das dos em no na com para pra por que aqui ai la falando tudo bem bom boa dia',
    'tarde noite oi ola opa gostaria queria quero preciso precisamos trabalho trabalhamos sou tenho temos estou',
    'to tou estamos eu ele ela voce vc seu sua meu minha nosso nossa empresa responsavel gerente diretor diretora',
    'comprador compradora engenheiro engenheira tecnico tecnica dono dona proprietario proprietaria socio socia',
    'supervisor supervisora coordenador coordenadora analista assistente consultor consultora representante',
    'vendedor vendedora estudante aluno aluna professor professora setor area compras vendas comercial',
    'interessado interessada cliente novo nova mesmo mesma mais muito obrigado obrigada sim nao ja so apenas',
    'favor isso esse essa este esta pelo pela quem como qual brasileiro brasileira daqui natural industria',
    'fabrica grupo equipe time pessoal galera gente senhor senhora sr sra dr dra eng voces vcs eles elas nos',
  ]
    .join(' ')
    .split(' '),
);

/** Surnames that follow "da/de/do/dos" in Brazilian names; any other "da X" starts a company. */
export const PARTICLE_SURNAMES: ReadonlySet<string> = new Set(
  'silva santos souza sousa oliveira costa almeida lima rocha cruz conceicao paula jesus luz fonseca mota motta moura cunha assis freitas andrade carvalho melo mello castro barros campos nascimento santana rosa gama mata guerra sa vila silveira paz fe gloria penha nobrega maia'.split(
    ' ',
  ),
);
const PARTICLES = new Set(['da', 'de', 'do', 'das', 'dos']);

export function extractName(message: string): string | null {
  const text = foldText(message);
  for (const cue of NAME_CUES) {
    for (const match of text.folded.matchAll(cue.pattern)) {
      const words = readNameWords(text.original.slice(match.index + match[0].length), cue.needsCapital);
      if (words.length > 0) return titleCase(words.join(' '));
    }
  }
  for (const match of text.folded.matchAll(SPEAKING)) {
    const name = readSpeaker(text, match.index);
    if (name !== null) return name;
  }
  return null;
}

/**
 * Name words from the start of `rest` until punctuation, a non-name word, or a company ("da
 * Acme"). When the first word is capitalised the rest must be too, so "Ana gerente" stops at
 * "gerente" even if "gerente" were missing from the list.
 */
function readNameWords(rest: string, needsCapital: boolean): string[] {
  const words = wordsFrom(rest).map(({ word }) => ({ word, clean: withoutTrailingPunctuation(word) }));
  const taken: string[] = [];
  let nameWordCount = 0;
  for (const [index, { word, clean }] of words.entries()) {
    const folded = foldText(clean).folded;
    if (nameWordCount >= MAX_NAME_WORDS || !/^\p{L}[\p{L}'’-]*$/u.test(clean)) break;
    if (PARTICLES.has(folded)) {
      const next = foldText(words[index + 1]?.clean ?? '').folded;
      if (taken.length === 0 || clean !== word || !PARTICLE_SURNAMES.has(next)) break;
      taken.push(folded);
      continue;
    }
    if (NOT_NAME_WORDS.has(folded) || folded.length < 2) break;
    const mustBeCapital = needsCapital || (taken.length > 0 && isCapitalized(taken[0] ?? ''));
    if (mustBeCapital && !isCapitalized(clean)) break;
    taken.push(clean);
    nameWordCount++;
    if (clean !== word) break;
  }
  while (taken.length > 0 && PARTICLES.has(taken.at(-1) ?? '')) taken.pop();
  return taken;
}

/**
 * Walks back from "falando" over name words. A capitalised name counts anywhere ("Bom dia,
 * Fernanda falando"); a lowercase one only after "é o/a" or at the start of the message.
 */
function readSpeaker(text: FoldedText, falandoAt: number): string | null {
  const windowStart = Math.max(0, falandoAt - SPEAKER_WINDOW_CHARS);
  const before = wordsFrom(text.original.slice(windowStart, falandoAt), {
    offset: windowStart,
    maxWords: Infinity,
  });
  const taken: Array<{ word: string; start: number }> = [];
  for (const entry of before.reverse()) {
    const folded = foldText(entry.word).folded;
    if (!/^\p{L}[\p{L}'’-]*$/u.test(entry.word) || NOT_NAME_WORDS.has(folded)) break;
    taken.unshift(entry);
    if (taken.length >= MAX_SPEAKER_WORDS) break;
  }
  const first = taken[0];
  if (first === undefined) return null;
  const precededBy = text.folded.slice(0, first.start);
  const isClear =
    isCapitalized(first.word) || ARTICLE_AFTER_VERB.test(precededBy) || precededBy.trim() === '';
  return isClear ? titleCase(taken.map(({ word }) => word).join(' ')) : null;
}

function withoutTrailingPunctuation(word: string): string {
  return word.replace(/[.,;:!?)…]+$/, '');
}
