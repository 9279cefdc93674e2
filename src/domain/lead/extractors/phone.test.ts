import { describe, expect, it } from 'vitest';
import { extractPhone } from './phone.js';

describe('extractPhone', () => {
  it.each([
    ['me liga no (11) 98765-0001', '5511987650001'],
    ['whats 11 98765 0001 por favor', '5511987650001'],
    ['+55 11 98765-0001', '5511987650001'],
    ['fixo: (19) 3456-7890', '551934567890'],
    ['5511987650001', '5511987650001'],
    ['liga no 011 98765-0001', '5511987650001'],
    ['meu número em Portugal é +351 912 345 678', '351912345678'],
  ])('reads %j as %s', (text, expected) => {
    expect(extractPhone(text)).toBe(expected);
  });

  it.each([
    ['a CNPJ', 'cnpj 11.222.333/0001-81'],
    ['a bare CNPJ', '11222333000181'],
    ['a CEP', 'cep 13015-000'],
    ['a quantity', '2.000 frascos por hora'],
    ['a subscriber number without area code', 'liga no 98765-0001'],
    ['a date', 'pode ser 10/12/2025'],
    ['no number', 'me liga amanhã'],
  ])('finds nothing in %s', (_label, text) => {
    expect(extractPhone(text)).toBeNull();
  });
});
