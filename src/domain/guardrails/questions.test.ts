import { describe, expect, it } from 'vitest';
import { countQuestions, findQuestions, limitQuestions } from './questions.js';

describe('countQuestions', () => {
  it('counts each sentence that ends in a question mark', () => {
    expect(countQuestions('Oi! Tudo bem? Qual produto vocês envasam? Em que cidade ficam?')).toBe(3);
  });

  it('returns 0 for a reply without questions', () => {
    expect(countQuestions('Perfeito, anotei. Um consultor retorna em breve.')).toBe(0);
  });

  it('counts a run of "??", "?!" or "!?" as one question', () => {
    expect(countQuestions('Como assim?? Sério?! É isso!?')).toBe(3);
    expect(countQuestions('Hein ? ?')).toBe(1);
  });

  it('ignores question marks inside links', () => {
    expect(countQuestions('Veja https://seleto.com.br/busca?q=envasadora&x=1 e me diga: gostou?')).toBe(1);
    expect(countQuestions('Catálogo: www.seleto.com.br/?ref=whats')).toBe(0);
  });

  it('counts questions on separate lines', () => {
    expect(countQuestions('Qual o produto?\nQual a embalagem?\nQuantas por hora?')).toBe(3);
  });
});

describe('findQuestions', () => {
  it('returns the questions as written', () => {
    expect(findQuestions('Ótimo! Qual o nome da empresa? E a cidade?')).toEqual([
      'Qual o nome da empresa?',
      'E a cidade?',
    ]);
  });
});

describe('limitQuestions', () => {
  it('reports the questions past the limit without touching the text', () => {
    expect(limitQuestions('Qual o produto? Qual a embalagem? Quantas por hora?', 2)).toEqual({
      count: 3,
      max: 2,
      excess: 1,
      isWithinLimit: false,
      extraQuestions: ['Quantas por hora?'],
    });
  });

  it('reports no excess within the limit', () => {
    expect(limitQuestions('Qual o produto?', 2)).toMatchObject({ count: 1, excess: 0, isWithinLimit: true });
  });
});
