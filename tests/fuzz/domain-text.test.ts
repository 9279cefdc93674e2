import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectAudioFormat, estimateAudioSeconds } from '../../src/domain/audio/format.js';
import { splitMessage } from '../../src/domain/message-split.js';
import { normalizePhone, parseWhatsAppId, phoneKey } from '../../src/domain/phone.js';
import { safeEqual } from '../../src/domain/safe-equal.js';
import { fuzzParams, nastyString } from './support.js';

/** Properties of the text-level domain helpers: phone identity, bubbles, secrets, audio sniffing. */
const RUNS = 500;

const DDDS = [11, 19, 21, 31, 41, 47, 51, 55, 61, 71, 81, 85, 91, 99];
const digitsOf = (length: number) => fc.stringMatching(new RegExp(`^\\d{${length}}$`));
/** A Brazilian mobile as 11 national digits: DDD, 9, eight digits. */
const brMobile = fc
  .record({ ddd: fc.constantFrom(...DDDS), rest: digitsOf(8) })
  .map(({ ddd, rest }) => `${ddd}9${rest}`);
const hasLoneSurrogate = (text: string) => /[\uD800-\uDFFF]/u.test(text);

describe('phone identity', () => {
  it('classifies any string without throwing, and phones are plausible E.164 digits', () => {
    fc.assert(
      fc.property(fc.oneof(nastyString, fc.stringMatching(/^[+\d\s().@:a-z-]{0,30}$/)), (input) => {
        const id = parseWhatsAppId(input);
        const phone = normalizePhone(input);
        expect(phone === null || /^[1-9]\d{7,14}$/.test(phone)).toBe(true);
        expect(phone).toBe(id.kind === 'phone' ? id.phone : null);
      }),
      fuzzParams(RUNS * 2),
    );
  });

  it('gives back an E.164 result unchanged when it is typed again with its +', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+?[\d\s().-]{6,22}$/), (input) => {
        const phone = normalizePhone(input);
        if (phone === null) return;
        expect(normalizePhone(`+${phone}`)).toBe(phone);
        // A Brazilian result (55 + DDD + 8 or 9 digits) is stable even without the '+'.
        if (/^55\d{10,11}$/.test(phone)) expect(normalizePhone(phone)).toBe(phone);
      }),
      fuzzParams(RUNS),
    );
  });

  it('reads every way a Brazilian mobile is written as the same E.164 number', () => {
    fc.assert(
      fc.property(brMobile, fc.integer({ min: 0, max: 99 }), (national, device) => {
        const ddd = national.slice(0, 2);
        const [head, tail] = [national.slice(2, 7), national.slice(7)];
        const e164 = `55${national}`;
        const written = [
          national,
          e164,
          `+${e164}`,
          `(${ddd}) ${head}-${tail}`,
          `+55 ${ddd} ${head} ${tail}`,
          `+55 (${ddd}) ${head}.${tail}`,
          `  ${e164}  `,
          `${e164}@s.whatsapp.net`,
          `${e164}:${device}@s.whatsapp.net`,
          `${e164}@c.us`,
        ];
        for (const form of written) expect(normalizePhone(form), form).toBe(e164);
      }),
      fuzzParams(RUNS),
    );
  });

  it('keys a mobile with and without its ninth digit alike, and keys are idempotent', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DDDS),
        fc.stringMatching(/^[6-9]\d{7}$/),
        fc.oneof(digitsOf(12), digitsOf(13), nastyString),
        (ddd, subscriber, other) => {
          expect(phoneKey(`55${ddd}${subscriber}`)).toBe(`55${ddd}9${subscriber}`);
          expect(phoneKey(`55${ddd}9${subscriber}`)).toBe(`55${ddd}9${subscriber}`);
          expect(phoneKey(phoneKey(other))).toBe(phoneKey(other));
        },
      ),
      fuzzParams(RUNS),
    );
  });

  it('tells lids and groups from phones', () => {
    fc.assert(
      fc.property(digitsOf(15), fc.stringMatching(/^\d[\d-]{4,30}$/), (lid, group) => {
        expect(parseWhatsAppId(`${lid}@lid`)).toEqual({ kind: 'lid', lid: `${lid}@lid` });
        expect(normalizePhone(`${lid}@lid`)).toBeNull();
        expect(parseWhatsAppId(`${group}-group`)).toEqual({ kind: 'group', group });
        expect(parseWhatsAppId(`${group.replaceAll('-', '')}@g.us`).kind).toBe('group');
      }),
      fuzzParams(RUNS),
    );
  });
});

describe('splitMessage', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 600 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc
      .array(fc.oneof(fc.lorem({ maxCount: 8 }), fc.constantFrom('\n', '\n\n', '. ', '?! ', '👩‍👩‍👧', ' ')), {
        maxLength: 60,
      })
      .map((parts) => parts.join('')),
  );
  const noSpace = (value: string) => value.replace(/\s/g, '');

  it('keeps every character in order, in trimmed parts within the limit', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 2, max: 120 }), (input, maxLength) => {
        const parts = splitMessage(input, maxLength);
        expect(noSpace(parts.join(''))).toBe(noSpace(input));
        for (const part of parts) {
          expect(part.length).toBeGreaterThan(0);
          expect(part.length).toBeLessThanOrEqual(maxLength);
          expect(part).toBe(part.trim());
        }
        if (input.trim().length <= maxLength) expect(parts).toEqual(input.trim() ? [input.trim()] : []);
      }),
      fuzzParams(RUNS * 2),
    );
  });

  it('never cuts a surrogate pair in half', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.integer({ min: 2, max: 40 }),
        (input, max) => {
          fc.pre(!hasLoneSurrogate(input));
          for (const part of splitMessage(input, max)) expect(hasLoneSurrogate(part), part).toBe(false);
        },
      ),
      fuzzParams(RUNS),
    );
  });

  it('refuses a limit below two code units with a RangeError', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.oneof(
          fc.integer({ max: 1 }),
          fc.double({ min: 2, max: 100 }).filter((n) => !Number.isInteger(n)),
        ),
        (input, max) => {
          expect(() => splitMessage(input, max)).toThrow(RangeError);
        },
      ),
      fuzzParams(RUNS),
    );
  });
});

describe('safeEqual', () => {
  it('is true exactly when the strings are equal, lone surrogates included', () => {
    // A tiny alphabet with surrogates makes near-collisions common enough to find.
    const tricky = fc.string({ unit: fc.constantFrom('a', '\ud800', '\udfff', '\ufffd'), maxLength: 4 });
    const secret = fc.oneof(nastyString, tricky, fc.string({ unit: 'binary', maxLength: 8 }));
    fc.assert(
      fc.property(secret, secret, (a, b) => {
        expect(safeEqual(a, a)).toBe(true);
        expect(safeEqual(a, b)).toBe(a === b);
      }),
      fuzzParams(RUNS * 2),
    );
  });

  it('regression: tells apart lone surrogates that share one UTF-8 replacement', () => {
    expect(safeEqual('token\ud800', 'token\udfff')).toBe(false);
    expect(safeEqual('token\ud800', 'token\ufffd')).toBe(false);
  });
});

describe('audio format sniffing', () => {
  const MAGICS = [
    'OggS\u0000',
    'RIFF\u0000\u0000\u0000\u0000WAVEfmt ',
    '#!AMR\n',
    '#!AMR-WB\n',
    '\u0000\u0000\u0000\u0018ftypM4A ',
    '\u0000\u0000\u0000\u0018ftypisom',
    'ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000',
    '\u00ff\u00fb\u0090\u0000',
    '\u00ff\u00f1\u0050\u0080',
  ];
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 1024 }).map((array) => Buffer.from(array)),
    fc
      .tuple(fc.constantFrom(...MAGICS), fc.uint8Array({ maxLength: 1024 }))
      .map(([magic, rest]) => Buffer.concat([Buffer.from(magic, 'latin1'), Buffer.from(rest)])),
  );

  it('answers a format or null for any bytes, and a duration that is null or finite and not negative', () => {
    fc.assert(
      fc.property(bytes, (input) => {
        const format = detectAudioFormat(input);
        if (format === null) return;
        const seconds = estimateAudioSeconds(input, format);
        expect(seconds === null || (Number.isFinite(seconds) && seconds >= 0)).toBe(true);
      }),
      fuzzParams(RUNS * 2),
    );
  });
});
