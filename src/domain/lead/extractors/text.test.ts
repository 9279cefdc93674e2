import { describe, expect, it } from 'vitest';
import { fold, foldText, titleCase } from './text.js';

describe('foldText', () => {
  it('lowercases and strips accents without moving any character', () => {
    const { original, folded } = foldText('São Paulo, CEARÁ e Goiânia');
    expect(folded).toBe('sao paulo, ceara e goiania');
    expect(folded).toHaveLength(original.length);
  });

  it('composes decomposed accents first, so indexes match the original it returns', () => {
    const decomposed = 'Jose\u0301';
    const { original, folded } = foldText(decomposed);
    expect(original).toBe('José');
    expect(folded).toBe('jose');
  });

  it('folds ç and keeps emoji', () => {
    expect(fold('Açúcar 👍')).toBe('acucar 👍');
  });
});

describe('titleCase', () => {
  it.each([
    ['ana souza', 'Ana Souza'],
    ['MARIA DA SILVA', 'Maria da Silva'],
    ['joão dos santos e silva', 'João dos Santos e Silva'],
    ['ana-maria d’ávila', 'Ana-Maria D’Ávila'],
  ])('writes %s as %s', (input, expected) => {
    expect(titleCase(input)).toBe(expected);
  });
});
