import { describe, expect, it } from 'vitest';
import { asksForCommercialTerms, checkReply, PRICE_DEFLECTION, SAFE_FALLBACK_REPLY } from './policy.js';
import { countQuestions } from './questions.js';

describe('checkReply', () => {
  it('accepts a qualifying reply with two questions', () => {
    expect(checkReply('Legal! Qual produto vocês envasam? E quantas unidades por hora?')).toEqual({
      ok: true,
      violations: [],
    });
  });

  it('reports a leaked price with what leaked and why', () => {
    expect(checkReply('A envasadora sai por R$ 45.000.')).toEqual({
      ok: false,
      violations: [{ rule: 'commercial_terms', detail: 'price: "R$ 45.000" (money amount)' }],
    });
  });

  it('reports a third question', () => {
    const verdict = checkReply('Qual o produto? Qual a embalagem? Quantas por hora?');
    expect(verdict.ok).toBe(false);
    expect(verdict.violations).toEqual([
      { rule: 'too_many_questions', detail: '3 questions, at most 2 allowed' },
    ]);
  });

  it('takes the question limit as an option', () => {
    expect(checkReply('Qual o produto? Qual a embalagem?', { maxQuestions: 1 }).ok).toBe(false);
  });

  it('reports every rule a reply breaks', () => {
    const verdict = checkReply('Entrego em 30 dias com 10% de desconto. Fechamos? Qual o CNPJ? E o e-mail?');
    expect(verdict.violations.map((violation) => violation.rule)).toEqual([
      'commercial_terms',
      'commercial_terms',
      'commercial_terms',
      'too_many_questions',
    ]);
  });
});

describe('approved texts', () => {
  it('passes its own policy', () => {
    expect(checkReply(PRICE_DEFLECTION)).toEqual({ ok: true, violations: [] });
    expect(checkReply(SAFE_FALLBACK_REPLY)).toEqual({ ok: true, violations: [] });
  });

  it('has no figures and the fallback asks one question at most', () => {
    expect(PRICE_DEFLECTION).not.toMatch(/\d/);
    expect(SAFE_FALLBACK_REPLY).not.toMatch(/\d/);
    expect(countQuestions(SAFE_FALLBACK_REPLY)).toBeLessThanOrEqual(1);
  });

  it('hands the proposal to a consultant', () => {
    expect(PRICE_DEFLECTION).toMatch(/consultor/);
    expect(SAFE_FALLBACK_REPLY).toMatch(/consultor da Seleto/);
  });
});

describe('asksForCommercialTerms', () => {
  it.each([
    'Quanto custa?',
    'qual o valor',
    'preço?',
    'tem desconto?',
    'qual o prazo de entrega',
    'quanto tempo pra entregar?',
    'faz por quanto',
    'valor à vista',
    'qto custa a seladora',
    'qnto fica',
    'me passa o preco',
    'queria um orcamento',
    'Quanto vcs cobram pela envasadora?',
    'quando chega se eu fechar hoje?',
    'parcela no cartão?',
    'Tem pronta entrega?',
    'Qual o investimento?',
    'vcs trabalham com finame?',
    'QUANTO CUSTA ESSA MAQUINA',
  ])('recognises %j', (message) => {
    expect(asksForCommercialTerms(message)).toBe(true);
  });

  it.each([
    'Bom dia, queria saber sobre envasadoras de 500 ml',
    'Produzimos 2 mil potes por dia',
    'Quantos bicos tem a máquina?',
    'quanto de produto ela envasa por hora?',
    'Meu CNPJ é 11.222.333/0001-81',
    'Vocês atendem em Goiânia?',
    'quanto tempo vocês têm de mercado?',
    'quando o consultor vai me ligar?',
  ])('leaves %j alone', (message) => {
    expect(asksForCommercialTerms(message)).toBe(false);
  });
});
