import { describe, expect, it } from 'vitest';
import { cnpjWithCheckDigits, extractCnpj, findCnpjCandidates, formatCnpj, isValidCnpj } from './cnpj.js';

// Public CNPJs with known-good check digits.
const VALID = ['11.222.333/0001-81', '33.000.167/0001-01', '00.000.000/0001-91', '60.746.948/0001-12'];

describe('isValidCnpj', () => {
  it.each(VALID)('accepts %s formatted and bare', (cnpj) => {
    expect(isValidCnpj(cnpj)).toBe(true);
    expect(isValidCnpj(cnpj.replace(/\D/g, ''))).toBe(true);
  });

  it.each([
    ['a wrong second check digit', '11.222.333/0001-82'],
    ['a wrong first check digit', '11.222.333/0001-91'],
    ['a typo in the body', '11.222.334/0001-81'],
    ['all zeros', '00000000000000'],
    ['all the same digit', '11.111.111/1111-11'],
    ['13 digits', '1122233300018'],
    ['15 digits', '112223330001811'],
    ['letters', '11.222.333/0001-8a'],
    ['an empty string', ''],
  ])('rejects %s', (_label, cnpj) => {
    expect(isValidCnpj(cnpj)).toBe(false);
  });
});

describe('extractCnpj', () => {
  it.each([
    ['meu cnpj é 11.222.333/0001-81', '11222333000181'],
    ['CNPJ: 11222333000181.', '11222333000181'],
    ['cnpj 11 222 333 0001 81 obrigado', '11222333000181'],
    ['33.000.167/0001-01, pode mandar a proposta', '33000167000101'],
    ['o da matriz é 11.222.333/0001-82 não, perdão, 11.222.333/0001-81', '11222333000181'],
  ])('finds the valid CNPJ in %j', (text, expected) => {
    expect(extractCnpj(text)).toBe(expected);
  });

  it.each([
    ['wrong check digits', 'cnpj 11.222.333/0001-82'],
    ['an all-same-digit filler', 'cnpj 00.000.000/0000-00'],
    ['a phone number', 'me liga no +55 11 98765-0001'],
    ['a longer number', 'pedido 112223330001810'],
    ['no number at all', 'ainda não tenho o CNPJ aqui'],
  ])('finds nothing with %s', (_label, text) => {
    expect(extractCnpj(text)).toBeNull();
  });
});

describe('findCnpjCandidates', () => {
  it('reports invalid candidates so the agent can ask the lead to check them', () => {
    expect(findCnpjCandidates('cnpj 11.222.333/0001-82')).toEqual([
      { digits: '11222333000182', isValid: false },
    ]);
  });
});

describe('formatCnpj', () => {
  it('formats 14 digits however they were punctuated', () => {
    expect(formatCnpj('11222333000181')).toBe('11.222.333/0001-81');
    expect(formatCnpj('11 222 333 0001 81')).toBe('11.222.333/0001-81');
  });

  it('leaves anything else as it is, trimmed', () => {
    expect(formatCnpj(' 1234 ')).toBe('1234');
  });
});

describe('cnpjWithCheckDigits', () => {
  it('completes a base with the check digits Receita Federal computes', () => {
    expect(cnpjWithCheckDigits('112223330001')).toBe('11222333000181');
    expect(isValidCnpj(cnpjWithCheckDigits('470010280001'))).toBe(true);
    expect(() => cnpjWithCheckDigits('123')).toThrow(/12 digits/);
  });
});
