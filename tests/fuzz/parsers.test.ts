import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { parseChatwootWebhook } from '../../src/integrations/chatwoot/webhook.js';
import { parseWebhook } from '../../src/integrations/whatsapp/parse-webhook.js';
import { WHATSAPP_PROVIDER_NAMES, type WhatsAppProviderName } from '../../src/integrations/whatsapp/types.js';
import { anyJson, fuzzParams, mutatedFixture, readFixtures } from './support.js';

/**
 * The webhook parsers on their own: WhatsApp parsers never throw and produce well-formed events;
 * the Chatwoot parser throws nothing but a ZodError and only produces text Postgres can store.
 */
const RUNS = 400;

const fixtures = {
  meta: readFixtures('whatsapp/meta'),
  zapi: readFixtures('whatsapp/zapi'),
  evolution: readFixtures('whatsapp/evolution'),
  console: [{ name: 'console', raw: Buffer.from(''), value: { from: '5511987650001', text: 'Oi' } }],
};
const provider = fc.constantFrom<WhatsAppProviderName>(...WHATSAPP_PROVIDER_NAMES);
const body = provider.chain((name) =>
  fc.oneof(anyJson, mutatedFixture(fixtures[name])).map((value) => ({ name, value })),
);

// Stored as JSON and read back as a Date: Infinity would come back null, 1e300 an invalid date.
const isDateTime = (ms: number) => Number.isFinite(new Date(ms).getTime());
const DELIVERY_STATUSES = ['sent', 'delivered', 'read', 'played', 'failed'];
function hasUnstorableText(value: unknown): boolean {
  if (typeof value === 'string')
    return value.includes(String.fromCharCode(0)) || /[\uD800-\uDFFF]/u.test(value);
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).some(hasUnstorableText);
}

describe('WhatsApp webhook parsers', () => {
  it('never throw, and every event is well formed', () => {
    fc.assert(
      fc.property(body, ({ name, value }) => {
        const parsed = parseWebhook(name, value);
        for (const message of parsed.messages) {
          expect(message.provider).toBe(name);
          expect(message.messageId.length).toBeGreaterThan(0);
          expect(message.chatId.length).toBeGreaterThan(0);
          expect(message.phone === null || /^[1-9]\d{7,14}$/.test(message.phone)).toBe(true);
          expect(['text', 'audio', 'image', 'button']).toContain(message.kind);
          expect(message.kind === 'audio' || message.kind === 'image').toBe(message.media !== null);
          expect(isDateTime(message.timestampMs), String(message.timestampMs)).toBe(true);
        }
        for (const status of parsed.statuses) {
          expect(status.providerMessageId.length).toBeGreaterThan(0);
          expect(DELIVERY_STATUSES).toContain(status.status);
          expect(isDateTime(status.timestampMs), String(status.timestampMs)).toBe(true);
        }
        const total = parsed.messages.length + parsed.statuses.length + parsed.ignored.length;
        // Every delivery is accounted for, so an odd body leaves a trace for the operator; only
        // Meta can batch nothing at all (entry: [] or changes: []).
        if (name !== 'meta') expect(total).toBeGreaterThan(0);
      }),
      fuzzParams(RUNS * 2),
    );
  });

  it('read the fixtures unchanged into at least one event', () => {
    for (const [name, list] of Object.entries(fixtures)) {
      for (const fixture of list) {
        const parsed = parseWebhook(name as WhatsAppProviderName, fixture.value);
        expect(parsed.messages.length + parsed.statuses.length + parsed.ignored.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('WhatsApp timestamp regressions found by fuzzing', () => {
  it.each([
    ['evolution', /"messageTimestamp": \d+/, '"messageTimestamp": 1e308'],
    ['zapi', /"momment": \d+/, '"momment": 1e300'],
    ['meta', /"timestamp": "\d+"/, `"timestamp": "${'9'.repeat(400)}"`],
  ] as const)(
    '%s: a time past what a Date holds is an ignored item, not an Infinity',
    (name, field, late) => {
      const raw = fixtures[name].find((f) => f.name === 'text.json')?.raw.toString('utf8') ?? '';
      expect(raw).toMatch(field);
      const parsed = parseWebhook(name, JSON.parse(raw.replace(field, late)));
      expect(parsed.messages).toEqual([]);
      expect(parsed.ignored).toMatchObject([{ reason: 'unknown_shape' }]);
    },
  );
});

describe('Chatwoot webhook parser', () => {
  const chatwoot = readFixtures('chatwoot');
  const delivery = fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined });

  it('throws only a ZodError, and keeps no text Postgres cannot store', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson, mutatedFixture(chatwoot)), delivery, (value, deliveryId) => {
        let result: ReturnType<typeof parseChatwootWebhook>;
        try {
          result = parseChatwootWebhook(value, deliveryId);
        } catch (error) {
          expect(error).toBeInstanceOf(ZodError);
          return;
        }
        expect(hasUnstorableText(result)).toBe(false);
        if (deliveryId)
          expect(result.deliveryKey).toBe(`delivery:${deliveryId.replace(/[\uD800-\uDFFF]/gu, '\ufffd')}`);
        expect(result.deliveryKey.length).toBeGreaterThan(0);
      }),
      fuzzParams(RUNS),
    );
  });

  it('regression: replaces NUL and unpaired surrogates in a message instead of failing to store it', () => {
    const incoming = chatwoot.find((f) => f.name === 'message_created_incoming_contact.json')
      ?.value as object;
    const { parsed } = parseChatwootWebhook({ ...incoming, content: 'oi\u0000 \ud83d tudo 😀' });
    expect(parsed).toMatchObject({ kind: 'message', content: 'oi\ufffd \ufffd tudo 😀' });
  });
});
