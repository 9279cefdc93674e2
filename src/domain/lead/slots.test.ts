import { describe, expect, it } from 'vitest';
import {
  ASK_ORDER,
  emptySlots,
  isFilled,
  type LeadSlots,
  LeadSlotsSchema,
  mergeSlots,
  missingSlots,
  SLOT_LABELS_PT,
  SLOT_NAMES,
} from './slots.js';

const VALID_CNPJ = '11222333000181';

function slots(overrides: Partial<LeadSlots> = {}): LeadSlots {
  return { ...emptySlots(), ...overrides };
}

describe('emptySlots', () => {
  it('has every slot, all null, and passes the schema', () => {
    const empty = emptySlots();
    expect(Object.keys(empty).sort()).toEqual([...SLOT_NAMES].sort());
    expect(Object.values(empty).every((value) => value === null)).toBe(true);
    expect(LeadSlotsSchema.parse(empty)).toEqual(empty);
  });

  it('returns a fresh object each time', () => {
    const first = emptySlots();
    first.name = 'Ana';
    expect(emptySlots().name).toBeNull();
  });
});

describe('LeadSlotsSchema', () => {
  it('reads blank strings as null and uppercases the UF', () => {
    const parsed = LeadSlotsSchema.parse({ ...emptySlots(), name: '  ', uf: ' sp ', urgency: '' });
    expect(parsed).toMatchObject({ name: null, uf: 'SP', urgency: null });
  });

  it('trims text slots', () => {
    expect(LeadSlotsSchema.parse({ ...emptySlots(), company: ' Acme ' }).company).toBe('Acme');
  });

  it.each([
    ['an unknown UF', { uf: 'XX' }],
    ['a three-letter UF', { uf: 'SPA' }],
    ['an unknown urgency', { urgency: 'amanha' }],
    ['a number for a text slot', { volume: 2000 }],
  ])('rejects %s', (_label, overrides) => {
    expect(LeadSlotsSchema.safeParse({ ...emptySlots(), ...overrides }).success).toBe(false);
  });

  it('rejects a missing slot: null must be explicit', () => {
    const { name: _name, ...withoutName } = emptySlots();
    expect(LeadSlotsSchema.safeParse(withoutName).success).toBe(false);
  });
});

describe('mergeSlots', () => {
  it('lets non-null updates win and keeps the rest', () => {
    const current = slots({ name: 'Ana', company: 'Acme', volume: '1 mil frascos/h' });
    const merged = mergeSlots(current, {
      company: 'Acme Alimentos',
      volume: null,
      city: 'Campinas',
      uf: 'SP',
    });
    expect(merged).toEqual(
      slots({
        name: 'Ana',
        company: 'Acme Alimentos',
        volume: '1 mil frascos/h',
        city: 'Campinas',
        uf: 'SP',
      }),
    );
  });

  it('ignores undefined and blank values', () => {
    const current = slots({ name: 'Ana' });
    expect(mergeSlots(current, { name: '   ' })).toEqual(current);
    expect(mergeSlots(current, { name: undefined })).toEqual(current);
  });

  it('does not mutate its inputs', () => {
    const current = slots({ name: 'Ana' });
    const update = { name: 'Beatriz' };
    mergeSlots(current, update);
    expect(current.name).toBe('Ana');
    expect(update).toEqual({ name: 'Beatriz' });
  });

  it('never replaces a valid CNPJ with an invalid one', () => {
    const current = slots({ cnpj: VALID_CNPJ });
    expect(mergeSlots(current, { cnpj: '11.222.333/0001-82' }).cnpj).toBe(VALID_CNPJ);
  });

  it('replaces a CNPJ with another valid one, stored as digits', () => {
    const current = slots({ cnpj: VALID_CNPJ });
    expect(mergeSlots(current, { cnpj: '33.000.167/0001-01' }).cnpj).toBe('33000167000101');
  });

  it('keeps an invalid CNPJ when nothing better is known, and lets a valid one replace it', () => {
    const withTypo = mergeSlots(emptySlots(), { cnpj: '11.222.333/0001-82' });
    expect(withTypo.cnpj).toBe('11.222.333/0001-82');
    expect(mergeSlots(withTypo, { cnpj: '11.222.333/0001-81' }).cnpj).toBe(VALID_CNPJ);
  });

  it('never replaces a valid e-mail with an invalid one, and lowercases valid ones', () => {
    const current = mergeSlots(emptySlots(), { email: ' Ana@Acme.com.br ' });
    expect(current.email).toBe('ana@acme.com.br');
    expect(mergeSlots(current, { email: 'ana@acme' }).email).toBe('ana@acme.com.br');
    expect(mergeSlots(current, { email: 'compras@acme.com.br' }).email).toBe('compras@acme.com.br');
  });
});

describe('missingSlots', () => {
  it('asks rapport, then need, then contact and registry data', () => {
    expect(missingSlots(emptySlots())).toEqual([
      'name',
      'company',
      'product',
      'application',
      'volume',
      'urgency',
      'city',
      'uf',
      'email',
      'cnpj',
    ]);
  });

  it('never asks for the phone: WhatsApp gives it', () => {
    expect(ASK_ORDER).not.toContain('phone');
  });

  it('drops filled slots and keeps the order', () => {
    const partial = slots({ name: 'Ana', product: 'Envasadora', uf: 'SP', cnpj: VALID_CNPJ });
    expect(missingSlots(partial)).toEqual(['company', 'application', 'volume', 'urgency', 'city', 'email']);
  });

  it('asks again for an invalid CNPJ or e-mail', () => {
    const partial = slots({ cnpj: '11222333000182', email: 'ana@acme' });
    expect(missingSlots(partial)).toContain('cnpj');
    expect(missingSlots(partial)).toContain('email');
    expect(isFilled(partial, 'cnpj')).toBe(false);
  });

  it('is empty for a complete profile', () => {
    const complete = slots({
      name: 'Ana',
      company: 'Acme',
      cnpj: VALID_CNPJ,
      city: 'Campinas',
      uf: 'SP',
      email: 'ana@acme.com.br',
      product: 'Envasadora',
      application: 'molho',
      volume: '2 mil frascos/h',
      urgency: 'imediata',
    });
    expect(missingSlots(complete)).toEqual([]);
  });
});

describe('SLOT_LABELS_PT', () => {
  it('labels every slot in Portuguese', () => {
    expect(Object.keys(SLOT_LABELS_PT).sort()).toEqual([...SLOT_NAMES].sort());
    expect(SLOT_LABELS_PT.urgency).toBe('Urgência');
  });
});
