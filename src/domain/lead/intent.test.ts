import { describe, expect, it } from 'vitest';
import { detectIntent, strongestIntent } from './intent.js';

describe('detectIntent', () => {
  it.each([
    ['Sou estudante e estou fazendo meu TCC sobre envase', 'estudante'],
    ['é pra um trabalho da faculdade', 'estudante'],
    ['Tem vaga de emprego? mando meu currículo', 'outro'],
    ['Somos distribuidores no Nordeste', 'revenda'],
    ['Quero comprar uma envasadora', 'compra'],
    ['preciso de uma rotuladora pra ontem', 'compra'],
    ['gostaria de um orcamento', 'compra'],
    ['só pesquisando por enquanto', 'pesquisa'],
  ])('reads "%s" as %s', (text, intent) => {
    expect(detectIntent(text)).toBe(intent);
  });

  it('returns null when the message says nothing about intent', () => {
    expect(detectIntent('Boa tarde, tudo bem?')).toBeNull();
  });

  it('reads a purchase said in the negative as research', () => {
    expect(detectIntent('Estamos só vendo rotuladoras, sem previsão de compra.')).toBe('pesquisa');
    expect(detectIntent('ainda não vamos comprar, quero conhecer')).toBe('pesquisa');
    expect(detectIntent('não pretendemos comprar este ano')).toBe('pesquisa');
    expect(detectIntent('queremos comprar uma envasadora')).toBe('compra');
  });

  it('lets a student stay a student even when they say they want to buy', () => {
    expect(detectIntent('sou estudante e quero comprar uma máquina para o TCC')).toBe('estudante');
  });
});

describe('strongestIntent', () => {
  it('keeps the stronger signal across messages', () => {
    expect(strongestIntent('estudante', 'compra')).toBe('estudante');
    expect(strongestIntent('pesquisa', 'compra')).toBe('compra');
    expect(strongestIntent(null, 'revenda')).toBe('revenda');
    expect(strongestIntent('compra', null)).toBe('compra');
  });
});
