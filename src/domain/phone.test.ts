import { describe, expect, it } from 'vitest';
import { normalizePhone, parseWhatsAppId, phoneKey } from './phone.js';

describe('normalizePhone', () => {
  it.each([
    ['5511987650001', '5511987650001'],
    ['+55 11 98765-0001', '5511987650001'],
    ['(11) 98765-0001', '5511987650001'],
    ['11 3456-7890', '551134567890'],
    ['5511987650001@s.whatsapp.net', '5511987650001'],
    ['5511987650001@c.us', '5511987650001'],
    ['5511987650001:12@s.whatsapp.net', '5511987650001'],
    ['553187650080', '553187650080'],
    ['+1 650 555 1234', '16505551234'],
    ['  5511987650001  ', '5511987650001'],
  ])('reads %s as %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each([
    ['a Z-API group', '120363041234567890-group'],
    ['an Evolution group', '120363025874123690@g.us'],
    ['a privacy alias', '203948571029384@lid'],
    ['the status broadcast', 'status@broadcast'],
    ['a newsletter', '120363123456789012@newsletter'],
    ['an empty string', ''],
    ['words', 'me liga amanhã'],
    ['digits mixed with letters', '55119876abc50001'],
    ['too few digits', '1234567'],
    ['too many digits', '5511987650001234'],
    ['a number starting with 0', '011987650001'],
    ['a phone JID with letters', 'abc@s.whatsapp.net'],
  ])('rejects %s', (_label, input) => {
    expect(normalizePhone(input)).toBeNull();
  });

  it('adds 55 only to national numbers with a valid DDD', () => {
    // 20 is not a Brazilian area code, so the 10 digits are kept as an international number.
    expect(normalizePhone('2034567890')).toBe('2034567890');
    expect(normalizePhone('(31) 8765-0080')).toBe('553187650080');
  });

  it('keeps an 11-digit number that is not shaped like a Brazilian mobile as it is', () => {
    expect(normalizePhone('13812345678')).toBe('13812345678');
  });

  it('does not add 55 to a number typed with +', () => {
    expect(normalizePhone('+11 98765 0001')).toBe('11987650001');
  });
});

describe('parseWhatsAppId', () => {
  it('classifies phones from digits and JIDs', () => {
    expect(parseWhatsAppId('5511987650001')).toEqual({ kind: 'phone', phone: '5511987650001' });
    expect(parseWhatsAppId('5511987650001:3@s.whatsapp.net')).toEqual({
      kind: 'phone',
      phone: '5511987650001',
    });
  });

  it('keeps a lid whole, without its device suffix', () => {
    expect(parseWhatsAppId('203948571029384@lid')).toEqual({ kind: 'lid', lid: '203948571029384@lid' });
    expect(parseWhatsAppId('203948571029384:7@lid')).toEqual({ kind: 'lid', lid: '203948571029384@lid' });
  });

  it('names groups by their id without the provider suffix', () => {
    expect(parseWhatsAppId('120363041234567890-group')).toEqual({
      kind: 'group',
      group: '120363041234567890',
    });
    expect(parseWhatsAppId('120363025874123690@g.us')).toEqual({
      kind: 'group',
      group: '120363025874123690',
    });
    expect(parseWhatsAppId('5511987650001-1600000000@g.us')).toEqual({
      kind: 'group',
      group: '5511987650001-1600000000',
    });
  });

  it.each(['status@broadcast', '120363123456789012@newsletter', 'abc@lid', 'hello', '', 'x-group'])(
    'calls %j unknown',
    (input) => {
      expect(parseWhatsAppId(input)).toEqual({ kind: 'unknown' });
    },
  );
});

describe('phoneKey', () => {
  it('keeps a São Paulo mobile that already has the ninth digit', () => {
    expect(phoneKey('5511987650001')).toBe('5511987650001');
  });

  it('adds the ninth digit to a DDD 31 mobile registered without it', () => {
    expect(phoneKey('553187650080')).toBe('5531987650080');
  });

  it('maps Meta’s wa_id without the 9 and the typed number with it to the same key', () => {
    const fromWebhook = normalizePhone('553187650080');
    const typedByLead = normalizePhone('(31) 98765-0080');
    expect(fromWebhook).not.toBeNull();
    expect(typedByLead).not.toBeNull();
    expect(phoneKey(fromWebhook ?? '')).toBe(phoneKey(typedByLead ?? ''));
  });

  it.each(['6', '7', '8', '9'])(
    'treats a 12-digit number whose subscriber starts with %s as a mobile',
    (first) => {
      expect(phoneKey(`5521${first}7654321`)).toBe(`55219${first}7654321`);
    },
  );

  it.each(['2', '3', '4', '5'])('leaves a landline whose subscriber starts with %s unchanged', (first) => {
    expect(phoneKey(`5511${first}4567890`)).toBe(`5511${first}4567890`);
  });

  it('leaves non-Brazilian numbers unchanged', () => {
    expect(phoneKey('16505551234')).toBe('16505551234');
    expect(phoneKey('351912345678')).toBe('351912345678');
  });

  it('leaves a 12-digit 55 number with an invalid DDD unchanged', () => {
    expect(phoneKey('552087650080')).toBe('552087650080');
  });
});
