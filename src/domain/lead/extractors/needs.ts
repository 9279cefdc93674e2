/**
 * What the lead needs: which machine (product), for what (application), how much (volume) and
 * by when (urgency). Keyword rules over the folded message; the LLM fills what these miss.
 */
import type { Urgency } from '../slots.js';
import { escapeRegExp, foldText, WORD_END, WORD_START, wordsFrom } from './text.js';

export type ProductCatalogue = ReadonlyArray<{ product: string; keywords: readonly string[] }>;

/** The sample catalogue: each product with the names and misspellings leads use for it. */
export const DEFAULT_PRODUCT_KEYWORDS: ProductCatalogue = [
  {
    product: 'Envasadora',
    keywords: [
      'envasadora',
      'envasadeira',
      'envazadora',
      'enchedora',
      'enchedeira',
      'envasador',
      'maquina de envase',
      'maquina de envasar',
      'maquina para envasar',
      'maquina pra envasar',
      'maquina de encher',
    ],
  },
  { product: 'Rotuladora', keywords: ['rotuladora', 'rotuladeira', 'rotulador', 'maquina de rotular'] },
  {
    product: 'Tampadora',
    keywords: [
      'tampadora',
      'tampadeira',
      'tampador',
      'rosqueadora',
      'rosqueadeira',
      'rosqueador',
      'maquina de tampar',
    ],
  },
  { product: 'Seladora', keywords: ['seladora', 'seladeira', 'selador', 'maquina de selar'] },
  { product: 'Esteira transportadora', keywords: ['esteira transportadora', 'esteira', 'transportador'] },
  { product: 'Dosadora', keywords: ['dosadora', 'dosadeira', 'dosador', 'maquina de dosar'] },
  { product: 'Encartuchadeira', keywords: ['encartuchadeira', 'encartuchadora', 'maquina de cartucho'] },
  {
    product: 'Linha completa',
    keywords: [
      'linha completa',
      'linha inteira',
      'linha toda',
      'linha de envase completa',
      'turnkey',
      'turn key',
    ],
  },
];

/**
 * Catalogue products named in the message, in the order they appear, joined with ", "
 * ("Envasadora, Rotuladora"), else null. Plurals match ("rotuladoras"); so does the product's
 * own label, so a slot already holding "Esteira transportadora" is recognised again.
 */
export function extractProduct(text: string, catalogue: ProductCatalogue): string | null {
  const { folded } = foldText(text);
  const found: Array<{ index: number; product: string }> = [];
  for (const { product, keywords } of catalogue) {
    const index = folded.search(keywordPattern([product, ...keywords]));
    if (index !== -1) found.push({ index, product });
  }
  if (found.length === 0) return null;
  return found
    .sort((a, b) => a.index - b.index)
    .map(({ product }) => product)
    .join(', ');
}

function keywordPattern(keywords: readonly string[]): RegExp {
  const alternatives = keywords
    .map((keyword) => foldText(keyword.trim()).folded)
    .sort((a, b) => b.length - a.length)
    .map((keyword) =>
      keyword
        .split(/\s+/)
        .map((word) => (word.length > 3 ? `${escapeRegExp(word)}(?:s|es)?` : escapeRegExp(word)))
        .join('\\s+'),
    );
  return new RegExp(`${WORD_START}(?:${alternatives.join('|')})${WORD_END}`, 'u');
}

const NUMBER_WORDS =
  'um|uma|dois|duas|tres|quatro|cinco|seis|sete|oito|nove|dez|quinze|vinte|trinta|quarenta|cinquenta|cem|duzentos|duzentas|trezentos|trezentas|quinhentos|quinhentas';
const QUANTITY = `(?:(?:\\d{1,3}(?:[.\\s]\\d{3})+|\\d+(?:[.,]\\d+)?|${NUMBER_WORDS})(?:\\s*(?:mil|milhao|milhoes|k))?|mil)`;
const COUNT_UNITS =
  'frascos?|garrafas?|potes?|potinhos?|unidades?|unid|un|pecas?|pcs|saches?|sachets?|caixas?|fardos?|latas?|bisnagas?|ampolas?|embalagens?|pacotes?|tubos?|sacos?|saquinhos?|bags?|bombonas?|galoes|galao|baldes?|copos?|doses?|capsulas?|tampas?|rotulos?|envases?|refis|refil|blisters?|cartuchos?|vidros?|displays?|kits?|itens|barras?|toneladas?|bpm|upm';
const MASS_UNITS = 'kg|kgs|quilos?|kilos?|ton|t|litros?|lts?|l|ml|gramas?|g|m3';
const RATE =
  '(?:\\s*(?:\\/|por|p\\/|ao|a\\s+cada|cada|num|no)\\s*(?:h|hr|hrs|horas?|dias?|turnos?|min|minutos?|mes|semanas?|ano|seg|segundos?)|\\s+(?:diari[oa]s|mensais|semanais|anuais|por\\s+hora))';

/**
 * "2 mil frascos por hora", "500 kg/h", "10 toneladas por dia", "3000 unidades/dia", "entre 2 e
 * 3 mil potes por dia". Mass and liquid units need a rate: "frascos de 500 ml" is a bottle size,
 * not a volume. Tons need none (no package weighs a ton).
 */
const VOLUME = new RegExp(
  `(?<![\\p{L}\\p{N}.,])(?:entre\\s+)?${QUANTITY}(?:\\s*(?:a|e|-|ate)\\s*${QUANTITY})?\\s*(?:(?:de\\s+)?(?:${COUNT_UNITS})${WORD_END}${RATE}?|(?:${MASS_UNITS})${RATE}|${RATE})${WORD_END}`,
  'u',
);

/** The volume phrase as the lead wrote it, for the salesperson to read; else null. */
export function extractVolume(text: string): string | null {
  const { original, folded } = foldText(text);
  const match = VOLUME.exec(folded);
  return match === null ? null : original.slice(match.index, match.index + match[0].length).trim();
}

const MONTH_WORDS: Readonly<Record<string, number>> = {
  um: 1,
  uma: 1,
  dois: 2,
  duas: 2,
  tres: 3,
  quatro: 4,
  cinco: 5,
  seis: 6,
  sete: 7,
  oito: 8,
  nove: 9,
  dez: 10,
  onze: 11,
  doze: 12,
  quinze: 15,
  vinte: 20,
  trinta: 30,
  sessenta: 60,
  noventa: 90,
};
const SPAN = new RegExp(
  `(?<![a-z])(?:em|daqui\\s+a|dentro\\s+de|nos\\s+proximos|proximos|ate|prazo\\s+de|previsao\\s+de|uns|cerca\\s+de)\\s+(?:ate\\s+)?(\\d+|${Object.keys(MONTH_WORDS).join('|')})(?:\\s*(?:a|-|ou)\\s*(\\d+|${Object.keys(MONTH_WORDS).join('|')}))?\\s+(dias?|semanas?|mes|meses|anos?)${WORD_END}`,
  'gu',
);
const DAYS_PER_UNIT: Readonly<Record<string, number>> = { dia: 1, semana: 7, mes: 30, mese: 30, ano: 365 };

/** Phrases by horizon. "próximo trimestre" may end six months out, so it is not "até 3 meses". */
const URGENCY_PHRASES: ReadonlyArray<readonly [Urgency, RegExp]> = [
  [
    'imediata',
    /(?<![a-z])(?:urgente|urgencia|urgentemente|pra\s+ontem|para\s+ontem|o\s+quanto\s+antes|quanto\s+antes|o\s+mais\s+rapido|mais\s+rapido\s+possivel|o\s+mais\s+breve|asap|imediat[oa]|imediatamente|(?:este|esse|neste|nesse)\s+mes|(?:esta|essa|nesta|nessa)\s+semana|proxima\s+semana|semana\s+que\s+vem|(?:maquina|linha)\s+(?:parou|parada|quebrou|quebrada)|com\s+pressa|pra\s+ja|para\s+ja)(?![a-z])/,
  ],
  [
    'ate_3_meses',
    /(?<![a-z])(?:mes\s+que\s+vem|proximo\s+mes|(?:este|esse|neste|nesse)\s+trimestre|curto\s+prazo|em\s+breve)(?![a-z])/,
  ],
  [
    'ate_6_meses',
    /(?<![a-z])(?:proximo\s+trimestre|trimestre\s+que\s+vem|proximo\s+semestre|semestre\s+que\s+vem|(?:este|esse|neste|nesse)\s+semestre|(?:primeiro|segundo)\s+semestre|medio\s+prazo|(?:nos\s+)?proximos\s+meses|meio\s+do\s+ano)(?![a-z])/,
  ],
  [
    'sem_previsao',
    /(?<![a-z])(?:(?:so|apenas|somente)\s+(?:(?:estou|to|tou|estamos|tamos)\s+)?(?:pesquisando|pesquisa|olhando|conhecendo|curiosidade|cotando\s+pra\s+frente)|sem\s+previsao|sem\s+data|ainda\s+nao\s+sei|nao\s+sei\s+quando|futuramente|no\s+futuro|mais\s+(?:pra|para)\s+frente|longo\s+prazo|ano\s+que\s+vem|proximo\s+ano|algum\s+dia)(?![a-z])/,
  ],
];

/** "não é urgente", "sem pressa": the lead is telling us there is no rush. */
const NO_RUSH =
  /(?<![a-z])(?:nao\s+(?:e|eh|esta|estamos|tem|temos|tenho|ha)?\s*(?:tao\s+|muito\s+|nada\s+)?(?:urgente|urgencia|pressa)|sem\s+(?:urgencia|pressa)|nada\s+urgente)(?![a-z])/g;

const URGENCY_ORDER: readonly Urgency[] = ['imediata', 'ate_3_meses', 'ate_6_meses', 'sem_previsao'];

/**
 * The nearest horizon the message names: "urgente" and "mês que vem" together mean urgent. A
 * negated urgency ("não é urgente") counts as no forecast, below any explicit date.
 */
export function extractUrgency(text: string): Urgency | null {
  const folded = foldText(text).folded;
  const rest = folded.replace(NO_RUSH, ' ');
  const hasNoRush = rest !== folded;
  const found = new Set<Urgency>();
  for (const [urgency, pattern] of URGENCY_PHRASES) if (pattern.test(rest)) found.add(urgency);
  for (const match of rest.matchAll(SPAN)) found.add(urgencyForDays(spanDays(match)));
  if (hasNoRush) found.add('sem_previsao');
  return URGENCY_ORDER.find((urgency) => found.has(urgency)) ?? null;
}

function spanDays(match: RegExpMatchArray): number {
  const upper = match[2] ?? match[1] ?? '0';
  const count = /^\d+$/.test(upper) ? Number(upper) : (MONTH_WORDS[upper] ?? 0);
  const unit = (match[3] ?? 'dia').replace(/s$/, '');
  return count * (DAYS_PER_UNIT[unit] ?? 1);
}

function urgencyForDays(days: number): Urgency {
  if (days <= 31) return 'imediata';
  if (days <= 93) return 'ate_3_meses';
  if (days <= 186) return 'ate_6_meses';
  return 'sem_previsao';
}

/** Cues after which the lead names what they make or fill. */
const APPLICATION_CUES =
  /(?<![a-z])(?:(?:para|pra|p\/)\s+(?:envasar|encher|embalar|rotular|tampar|selar|dosar)|(?:envase|envasamento|embalagem|fabrica|fabricante|fabricantes|industria|producao|linha)\s+de|(?:envasamos|embalamos|fabricamos|produzimos|fazemos|fabrico|produzo|envaso|envasa|produz|fabrica)|(?:trabalhamos|a gente trabalha|trabalho)\s+com|(?:envas|envaz|enched|rotulad|tampad|rosquead|selad|dosad|encartuch|maquina|equipamento|esteira)\w*\s+(?:para|pra|p\/)(?:\s+(?:envasar|encher|embalar|rotular|tampar|selar|dosar))?|(?:nosso|meu)\s+produto\s+(?:e|eh|:)|(?:somos|sou)\s+(?:uma?\s+)?(?:fabrica|industria|fabricante)\s+de)\s+/g;
/** What follows a cue but is not an application: "linha de produção", "fazemos um orçamento". */
const GENERIC_OBJECTS = new Set(
  'envase envasamento producao montagem embalagem embalagens maquina maquinas equipamento equipamentos orcamento orcamentos tudo isso isto varios varias muito muitos questao parte pesquisa negocio envasar encher embalar rotular tampar selar dosar fabrica empresa industria linha ontem hoje amanha ja agora'.split(
    ' ',
  ),
);
const LEADING_ARTICLES = new Set(
  'o a os as um uma uns umas nosso nossa nossos nossas minha meu de do da e'.split(' '),
);
const APPLICATION_STOPS = new Set(
  'que com em para pra por numa num no na aproximadamente cerca mais tambem atualmente hoje ja preciso precisamos queremos quero gostaria gostariamos estamos'.split(
    ' ',
  ),
);
const MAX_APPLICATION_WORDS = 6;

/** What they make or fill, as the lead wrote it: "molho de tomate", "cosméticos", "detergente". */
export function extractApplication(text: string): string | null {
  const { original, folded } = foldText(text);
  for (const match of folded.matchAll(APPLICATION_CUES)) {
    const application = readApplication(original, match.index + match[0].length);
    if (application !== null) return application;
  }
  return null;
}

function readApplication(original: string, from: number): string | null {
  const taken: string[] = [];
  for (const { word } of wordsFrom(original.slice(from))) {
    const clean = word.replace(/[.,;:!?)…]+$/, '');
    const folded = foldText(clean).folded;
    if (taken.length === 0 && LEADING_ARTICLES.has(folded)) continue;
    if (!/^\p{L}[\p{L}'’/-]*$/u.test(clean) || (taken.length > 0 && isApplicationStop(folded))) break;
    taken.push(clean);
    if (clean !== word || taken.length >= MAX_APPLICATION_WORDS) break;
  }
  while (taken.length > 0 && LEADING_ARTICLES.has(foldText(taken.at(-1) ?? '').folded)) taken.pop();
  const first = foldText(taken[0] ?? '').folded;
  if (taken.length === 0 || GENERIC_OBJECTS.has(first) || APPLICATION_STOPS.has(first)) return null;
  return taken.join(' ');
}

/** "mel e geleia" goes on; "detergente e vendemos" stops at the verb (first person plural). */
function isApplicationStop(folded: string): boolean {
  return APPLICATION_STOPS.has(folded) || (folded.length > 4 && folded.endsWith('mos'));
}
