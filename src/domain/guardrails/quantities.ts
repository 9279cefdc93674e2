/**
 * Finds the quantities in a prepared sentence (digits or number words, with currency and
 * magnitude) and tells what each one measures from what surrounds it. The rules then decide:
 * money is always a leak, a percentage or a time span only next to the right words.
 */

export type QuantityKind =
  /** A currency sign or word, or a large round amount nothing else explains ("uns 40 mil"). */
  | 'money'
  | 'percent'
  /** A span of time; `timeUnit` says which. */
  | 'duration'
  /** "10x" meaning ten instalments, not "3x mais rápido". */
  | 'installments'
  /** Followed by a unit or a counted noun: "500 kg", "2.000 frascos", "220 V". */
  | 'measure'
  /** Followed by "por"/"ao" and a period or unit: "2.500 por ano", "2 mil por hora". */
  | 'rate'
  /** Nothing says what it is: "fica em 45.000.", "o preço é 12.000 fechado". */
  | 'bare';

export type TimeUnit = 'minutes' | 'hours' | 'days' | 'years';

export type Quantity = {
  start: number;
  end: number;
  kind: QuantityKind;
  timeUnit?: TimeUnit;
  /** For durations: what follows makes it a working schedule, not a wait ("8 horas por dia"). */
  isSchedule?: boolean;
};

const NUMBER_WORDS =
  'um|uma|dois|duas|tres|quatro|cinco|seis|sete|oito|nove|dez|onze|doze|treze|quatorze|catorze|quinze|' +
  'dezesseis|dezessete|dezoito|dezenove|vinte|trinta|quarenta|cinquenta|sessenta|setenta|oitenta|noventa|' +
  'cem|cento|duzent[oa]s|trezent[oa]s|quatrocent[oa]s|quinhent[oa]s|seiscent[oa]s|setecent[oa]s|' +
  'oitocent[oa]s|novecent[oa]s|mil';
const WORD_NUMBER = `\\b(?:${NUMBER_WORDS})(?:\\s+(?:e\\s+)?(?:${NUMBER_WORDS}))*\\b`;
const DIGIT_NUMBER = '\\d+(?:[.,]\\d+)*';
const MAGNITUDE = '(?:mil|milhao|milhoes|mi|k|bi|bilhao|bilhoes)\\b';
const CURRENCY = '(?:r\\$|us\\$|u\\$s|\\$|\u20ac|\u00a3|\\b(?:rs|usd|brl)\\b\\.?)';
const NUMBER = `(?:${DIGIT_NUMBER}|${WORD_NUMBER})`;

/** "R$ 45.000,00", "45 mil", "quarenta e cinco mil", "30 e poucos mil", "meio milhão", "80k". */
const QUANTITY = new RegExp(
  `(?<currency>${CURRENCY}\\s*)?${NUMBER}(?:\\s+e\\s+pouc[oa]s)?` +
    `(?:\\s*(?<magnitude>${MAGNITUDE})(?:\\s+e\\s+(?:${NUMBER}|pouc[oa]s?)\\b)?)?` +
    `|(?<half>\\bmeio\\s+milh(?:ao|oes)\\b)`,
  'g',
);

const QUANTITY_AT_START = new RegExp(`^(?:${QUANTITY.source})`);

const CURRENCY_AFTER = /^\s*(?:reais|real|contos?|pilas?|paus|pratas|dolares|dolar|euros?|usd|brl)\b/;
const PERCENT_AFTER = /^\s*(?:%|por\s?cento\b|porcento\b)/;
const TIMES_AFTER =
  /^\s*x\b(?!\s*\d)(?!\s+(?:mais|maior|menor|menos|melhor|rapido|superior|a produtividade)\b)/;
const TIME_UNITS: ReadonlyArray<[RegExp, TimeUnit]> = [
  [/^\s*(?:minutos?|min|segundos?|seg|s)\b/, 'minutes'],
  [/^\s*(?:horas?|h|hs|hrs?)\b/, 'hours'],
  [
    /^\s*(?:dias?|diazinhos|semanas?|semaninhas?|mes|meses|mesinho|quinzenas?)\b(?:\s+(?:uteis|corridos))?/,
    'days',
  ],
  [/^\s*(?:anos?)\b/, 'years'],
];
/** After a time span: a working schedule or a rate, not a wait ("8 horas por dia", "24h direto"). */
const SCHEDULE_AFTER =
  /^\s*(?:por|ao|a cada|\/)\s*(?:dia|semana|mes|ano|turno)|^\s*(?:diari[oa]s|semanais|seguid[oa]s|ininterrupt[oa]s|direto|de (?:operacao|trabalho|funcionamento|uso|turno|jornada))\b/;
const RATE_AFTER = /^\s*(?:por|ao|a cada|\/)\s*[a-z_]/;
/** "6 ou 8 semanas", "de 80 a 120 micras", "entre 60 e 75 mil": the first number shares the last one's unit. */
const RANGE_AFTER = new RegExp(`^\\s*(?:ou|a|e|-|ate|\\/)\\s*(?:${CURRENCY}\\s*)?(?=${NUMBER})`);

/** Words that may follow an amount without saying what it counts: "45 mil e o frete", "12.000 fechado". */
const CONTINUATIONS = new Set(
  (
    'e ou a o as os ao ate mais menos com sem no na nos nas em pra pro para pela pelo ja so nao fora c cada que mas ' +
    'pois sendo se aproximadamente tudo total fechado redondo certinho cravado liquido bruto de do da la ai hoje ' +
    'agora mesmo entao tranquilo viu ta beleza sim isso por mensal mensais livre limpo'
  ).split(' '),
);
/** Units written in the singular; any other counted noun after a number above one is plural. */
const UNITS = new Set(
  (
    'kg g mg t ton tonelada l ml m cm mm km m2 m3 v vca vcc vac vdc kv a ma kw w hp cv bar psi mpa kpa pa rpm ' +
    'db hz khz kva mesh cp cps micra micron um nm ph bpm upm ppm gpm lpm litro metro grama quilo kilo polegada pe ' +
    'unidade peca frasco pote lote turno bico ciclo golpe pacote saco caixa fardo'
  ).split(' '),
);

export function findQuantities(sentence: string): Quantity[] {
  const quantities: Quantity[] = [];
  for (const match of sentence.matchAll(QUANTITY)) {
    // The unit of the previous quantity may hold a number word: "dez por cento".
    if (match.index < (quantities.at(-1)?.end ?? 0)) continue;
    const end = match.index + match[0].length;
    const { unitLength = 0, ...classification } = classify(match, sentence.slice(end));
    quantities.push({ start: match.index, end: end + unitLength, ...classification });
  }
  return quantities;
}

/** `unitLength`: how much of what follows belongs to the quantity ("%", " dias úteis", " reais"). */
type Classification = Pick<Quantity, 'kind' | 'timeUnit' | 'isSchedule'> & { unitLength?: number };

function classify(match: RegExpMatchArray, rest: string): Classification {
  const groups = match.groups ?? {};
  if (groups.currency || groups.half) return { kind: 'money' };
  const range = RANGE_AFTER.exec(rest);
  const next = range ? QUANTITY_AT_START.exec(rest.slice(range[0].length)) : null;
  if (range && next) {
    // The unit is written once, after the last number of the range; only that one spans it.
    const { kind, timeUnit, isSchedule } = classify(next, rest.slice(range[0].length + next[0].length));
    return { kind, timeUnit, isSchedule };
  }
  const text = match[0].trim();
  const isLarge = Boolean(groups.magnitude) || /\bmil\b/.test(text);
  return classifyByFollower(rest, { isLarge, isOne: /^(?:1|um|uma)$/.test(text), text });
}

type NumberShape = { isLarge: boolean; isOne: boolean; text: string };

function classifyByFollower(rest: string, { isLarge, isOne, text }: NumberShape): Classification {
  const currency = CURRENCY_AFTER.exec(rest);
  if (currency) return { kind: 'money', unitLength: currency[0].length };
  const percent = PERCENT_AFTER.exec(rest);
  if (percent) return { kind: 'percent', unitLength: percent[0].length };
  const times = TIMES_AFTER.exec(rest);
  if (times) return { kind: 'installments', unitLength: times[0].length };
  for (const [pattern, timeUnit] of TIME_UNITS) {
    const unit = pattern.exec(rest);
    if (unit) {
      const isSchedule = SCHEDULE_AFTER.test(rest.slice(unit[0].length));
      return { kind: 'duration', timeUnit, isSchedule, unitLength: unit[0].length };
    }
  }
  // A lone "um"/"uma" is an article far more often than a figure: "um pouco", "um só".
  if (isOne || isCounting(rest)) return { kind: 'measure' };
  if (RATE_AFTER.test(rest)) return { kind: 'rate' };
  // Only money is written as "45.000,00"; a big round figure with nothing after it is an amount.
  if (isLarge || /^\d{1,3}(?:\.\d{3})+,\d{2}$/.test(text)) return { kind: 'money' };
  return { kind: 'bare' };
}

/** True when what follows says what is counted: a unit, a symbol, or a plural noun. */
function isCounting(rest: string): boolean {
  if (/^\s*(?:[/\u00b0\u00ba\u00b2\u00b3"'\u00b5]|_)/.test(rest)) return true;
  const word = /^\s*([a-z]+)\b/.exec(rest)?.[1];
  if (word === undefined || CONTINUATIONS.has(word)) return false;
  return UNITS.has(word) || (word.length > 2 && word.endsWith('s'));
}
