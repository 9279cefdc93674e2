import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCommercialTerms } from '../../src/domain/guardrails/commercial-terms.js';
import {
  foldForMatching,
  prepareForMatching,
  splitSentences,
} from '../../src/domain/guardrails/match-text.js';
import {
  asksForCommercialTerms,
  checkReply,
  PRICE_DEFLECTION,
  SAFE_FALLBACK_REPLY,
} from '../../src/domain/guardrails/policy.js';
import { limitQuestions } from '../../src/domain/guardrails/questions.js';
import {
  cnpjWithCheckDigits,
  extractCnpj,
  formatCnpj,
  isValidCnpj,
} from '../../src/domain/lead/extractors/cnpj.js';
import { extractSlots } from '../../src/domain/lead/extractors/index.js';
import { UF_CODES } from '../../src/domain/lead/extractors/places.js';
import { foldText } from '../../src/domain/lead/extractors/text.js';
import { detectIntent, strongestIntent } from '../../src/domain/lead/intent.js';
import { INTENTS, scoreLead, TEMPERATURES } from '../../src/domain/lead/scoring.js';
import {
  ASK_ORDER,
  emptySlots,
  type LeadSlots,
  LeadSlotsUpdateSchema,
  mergeSlots,
  missingSlots,
  URGENCIES,
} from '../../src/domain/lead/slots.js';
import { buildLeadSummary, formatPhone, renderNotePt } from '../../src/domain/lead/summary.js';
import { fuzzParams, nastyString } from './support.js';

/** Properties of the lead extractors, slots, scoring, summary, intent and reply guardrails. */
const RUNS = 300;

/** What leads type, and what breaks regexes: words, digits, punctuation, long repetitive runs. */
const leadText = fc.oneof(
  nastyString.map((s) => s.slice(0, 3000)),
  fc
    .array(
      fc.oneof(
        fc.lorem({ maxCount: 3 }),
        fc.constantFrom(
          'meu nome é',
          'sou da',
          'empresa:',
          'Campinas/SP',
          'cnpj',
          '12.345.678/0001-95',
          '(11) 98765-0001',
          'ana@gmail.con',
          '2 mil frascos por hora',
          'preço?',
          'R$ 10',
          'em 3 dias',
          'Ltda',
          '@',
          '.',
          '/',
          '?',
        ),
      ),
      { maxLength: 40 },
    )
    .map((words) => words.join(' ')),
  fc
    .tuple(
      fc.constantFrom('a ', '1', '@a', 'sou ', 'Aa ', '1.', 'de ', '?!', 'x@y.', '9 '),
      fc.integer({ min: 1, max: 1500 }),
    )
    .map(([unit, times]) => unit.repeat(times)),
);

// Generous for a loaded 2-core machine; catastrophic backtracking takes seconds or more.
const MAX_CALL_MS = 1000;
function timed<T>(work: () => T): T {
  const started = performance.now();
  const result = work();
  expect(performance.now() - started).toBeLessThan(MAX_CALL_MS);
  return result;
}

const cnpjBase = fc.stringMatching(/^\d{12}$/).filter((base) => !/^(\d)\1{11}$/.test(base));

describe('CNPJ', () => {
  it('accepts every generated CNPJ, however it is written, and reads it back from a message', () => {
    fc.assert(
      fc.property(cnpjBase, (base) => {
        const cnpj = cnpjWithCheckDigits(base);
        fc.pre(!/^(\d)\1{13}$/.test(cnpj));
        expect(isValidCnpj(cnpj)).toBe(true);
        expect(isValidCnpj(formatCnpj(cnpj))).toBe(true);
        expect(formatCnpj(formatCnpj(cnpj))).toBe(formatCnpj(cnpj));
        expect(extractCnpj(`O CNPJ é ${formatCnpj(cnpj)}, obrigado`)).toBe(cnpj);
        expect(extractCnpj(`cnpj ${cnpj}.`)).toBe(cnpj);
      }),
      fuzzParams(RUNS * 2),
    );
  });

  it('rejects a CNPJ with one check digit changed, or two neighbours swapped', () => {
    fc.assert(
      fc.property(
        cnpjBase,
        fc.integer({ min: 12, max: 13 }),
        fc.integer({ min: 1, max: 9 }),
        (base, at, delta) => {
          const cnpj = cnpjWithCheckDigits(base);
          const digit = (Number(cnpj.charAt(at)) + delta) % 10;
          expect(isValidCnpj(`${cnpj.slice(0, at)}${digit}${cnpj.slice(at + 1)}`)).toBe(false);
        },
      ),
      fuzzParams(RUNS),
    );
  });

  it('rejects a CNPJ with one base digit changed unless mod 11 folds both check digits', () => {
    let rejected = 0;
    fc.assert(
      fc.property(
        cnpjBase,
        fc.integer({ min: 0, max: 11 }),
        fc.integer({ min: 1, max: 9 }),
        (base, at, delta) => {
          const cnpj = cnpjWithCheckDigits(base);
          const digit = (Number(cnpj.charAt(at)) + delta) % 10;
          const typo = `${cnpj.slice(0, at)}${digit}${cnpj.slice(at + 1)}`;
          // Remainders 0 and 1 both give check digit 0, so a rare typo keeps both check digits.
          const keepsCheckDigits = cnpjWithCheckDigits(typo.slice(0, 12)) === typo;
          expect(isValidCnpj(typo)).toBe(keepsCheckDigits && !/^(\d)\1{13}$/.test(typo));
          if (!keepsCheckDigits) rejected += 1;
        },
      ),
      fuzzParams(RUNS),
    );
    expect(rejected).toBeGreaterThan(0);
  });
});

describe('lead extractors', () => {
  it('read any message quickly into slots that pass the slot schema', () => {
    fc.assert(
      fc.property(leadText, (text) => {
        const found = timed(() => extractSlots(text));
        expect(LeadSlotsUpdateSchema.parse(found)).toEqual(found);
        if (found.cnpj !== undefined) expect(isValidCnpj(found.cnpj ?? '')).toBe(true);
        if (found.phone !== undefined) expect(found.phone).toMatch(/^[1-9]\d{7,14}$/);
        if (found.uf !== undefined) expect(UF_CODES).toContain(found.uf);
      }),
      fuzzParams(RUNS),
    );
  });

  it('fold text without changing its length, after NFC', () => {
    fc.assert(
      fc.property(fc.oneof(nastyString, fc.string({ unit: 'grapheme' })), (text) => {
        const { original, folded } = foldText(text);
        expect(original).toBe(text.normalize('NFC'));
        expect(folded.length).toBe(original.length);
        expect(foldForMatching(text).length).toBe(text.length);
        expect(timed(() => prepareForMatching(text)).length).toBe(text.length);
      }),
      fuzzParams(RUNS),
    );
  });

  it('regression: masks identifiers in linear time (a long run without "@" took n²)', () => {
    const reply = 'ç'.repeat(100_000);
    expect(timed(() => prepareForMatching(reply))).toBe('c'.repeat(100_000));
    const email = 'ana.souza@acme.com.br';
    expect(prepareForMatching(`fale com ${email} hoje`)).toBe(`fale com ${'_'.repeat(email.length)} hoje`);
  });
});

const slotValue = fc.option(fc.oneof(nastyString, fc.lorem({ maxCount: 3 })), { nil: null });
const slots: fc.Arbitrary<LeadSlots> = fc.record({
  name: slotValue,
  company: slotValue,
  cnpj: fc.option(fc.oneof(cnpjBase.map(cnpjWithCheckDigits), nastyString), { nil: null }),
  city: slotValue,
  uf: fc.option(fc.constantFrom(...UF_CODES), { nil: null }),
  email: fc.option(fc.oneof(fc.emailAddress(), nastyString), { nil: null }),
  phone: fc.option(fc.stringMatching(/^55\d{10,11}$/), { nil: null }),
  product: fc.option(fc.constantFrom('envasadora', 'rotuladora', 'misturador', 'bolo'), { nil: null }),
  application: slotValue,
  volume: slotValue,
  urgency: fc.option(fc.constantFrom(...URGENCIES), { nil: null }),
});
const intent = fc.option(fc.constantFrom(...INTENTS), { nil: null });

describe('slots, scoring and summary', () => {
  it('merge idempotently and never trade a valid CNPJ or e-mail for an invalid one', () => {
    fc.assert(
      fc.property(slots, slots, (current, update) => {
        const merged = mergeSlots(current, update);
        expect(mergeSlots(merged, update)).toEqual(merged);
        expect(mergeSlots(current, {})).toEqual(current);
        if (current.cnpj !== null && isValidCnpj(current.cnpj))
          expect(isValidCnpj(merged.cnpj ?? '')).toBe(true);
        const missing = missingSlots(merged);
        expect(missing).toEqual(ASK_ORDER.filter((slot) => missing.includes(slot)));
      }),
      fuzzParams(RUNS),
    );
  });

  it('score by the published rules: the model never decides, students and out-of-scope are cold', () => {
    fc.assert(
      fc.property(
        slots,
        intent,
        fc.boolean(),
        fc.constantFrom(...TEMPERATURES),
        (lead, leadIntent, outOfScope, proposal) => {
          const plain = scoreLead(lead, { intent: leadIntent, outOfScope });
          expect(TEMPERATURES).toContain(plain.temperature);
          expect(scoreLead(lead, { intent: leadIntent, outOfScope, llmProposal: proposal }).temperature).toBe(
            plain.temperature,
          );
          if (outOfScope || leadIntent === 'estudante') expect(plain.temperature).toBe('frio');
          if (plain.temperature === 'quente') expect(plain.score).toBeGreaterThanOrEqual(70);
          if (plain.temperature === 'frio' && !outOfScope && leadIntent !== 'estudante') {
            expect(plain.score).toBeLessThan(40);
          }
          const summary = buildLeadSummary({ slots: lead, score: plain, resumo: '', proximosPassos: [] });
          expect(renderNotePt(summary)).toContain('Temperatura: ');
        },
      ),
      fuzzParams(RUNS),
    );
  });

  it('format a phone keeping every digit in order', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,15}$/), (phone) => {
        expect(formatPhone(phone).replace(/\D/g, '')).toBe(phone);
      }),
      fuzzParams(RUNS),
    );
  });
});

describe('intent', () => {
  it('detects a known intent or none, and the strongest signal is order-free', () => {
    fc.assert(
      fc.property(leadText, intent, intent, intent, (text, a, b, c) => {
        const found = timed(() => detectIntent(text));
        expect(found === null || INTENTS.includes(found)).toBe(true);
        expect(strongestIntent(a, b)).toBe(strongestIntent(b, a));
        expect(strongestIntent(a, a)).toBe(a);
        expect(strongestIntent(strongestIntent(a, b), c)).toBe(strongestIntent(a, strongestIntent(b, c)));
      }),
      fuzzParams(RUNS),
    );
  });
});

describe('reply guardrails', () => {
  it('quote only what the reply says, count questions consistently, and stay fast', () => {
    fc.assert(
      fc.property(leadText, fc.integer({ min: 0, max: 5 }), (reply, max) => {
        const source = reply.normalize('NFC');
        for (const hit of timed(() => findCommercialTerms(reply))) expect(source).toContain(hit.match);
        const questions = limitQuestions(reply, max);
        expect(questions.isWithinLimit).toBe(questions.count <= max);
        expect(questions.extraQuestions).toHaveLength(questions.excess);
        const verdict = timed(() => checkReply(reply, { maxQuestions: max }));
        expect(verdict.ok).toBe(verdict.violations.length === 0);
        timed(() => asksForCommercialTerms(reply));
        for (const sentence of splitSentences(prepareForMatching(reply))) {
          expect(sentence.start + sentence.text.length).toBeLessThanOrEqual(reply.length);
        }
      }),
      fuzzParams(RUNS),
    );
  });

  it('pass the approved texts the agent falls back on', () => {
    expect(checkReply(PRICE_DEFLECTION).ok).toBe(true);
    expect(checkReply(SAFE_FALLBACK_REPLY).ok).toBe(true);
  });
});

describe('empty input', () => {
  it('extracts nothing from blank messages', () => {
    for (const text of ['', ' ', '\n\t']) expect(extractSlots(text)).toEqual({});
    expect(missingSlots(emptySlots())).toEqual(ASK_ORDER);
  });
});
