import { describe, expect, it } from 'vitest';
import { HOT_THRESHOLD, scoreLead, WARM_THRESHOLD } from './scoring.js';
import { emptySlots, type LeadSlots } from './slots.js';

function slots(overrides: Partial<LeadSlots> = {}): LeadSlots {
  return { ...emptySlots(), ...overrides };
}

const HOT_BUYER = slots({
  name: 'Ana',
  company: 'Acme Alimentos',
  cnpj: '11222333000181',
  product: 'Envasadora',
  volume: '2 mil frascos por hora',
  urgency: 'imediata',
});

describe('scoreLead', () => {
  it('rates a buyer with fit, volume and urgency quente, with every reason', () => {
    const result = scoreLead(HOT_BUYER, { intent: 'compra' });
    expect(result.temperature).toBe('quente');
    expect(result.score).toBe(100);
    expect(result.reasons).toEqual([
      'Produto do catálogo: Envasadora (+20)',
      'Empresa identificada: Acme Alimentos (+15)',
      'CNPJ válido (+5)',
      'Volume informado: 2 mil frascos por hora (+10)',
      'Urgência imediata (+30)',
      'Intenção de compra (+20)',
      `Total: 100 pontos (quente ≥ ${HOT_THRESHOLD} com fit, morno ≥ ${WARM_THRESHOLD})`,
    ]);
  });

  it('rates a researcher with fit and a six-month horizon morno', () => {
    const researcher = slots({ company: 'Cosméticos Bela', product: 'rotuladora', urgency: 'ate_6_meses' });
    const result = scoreLead(researcher, { intent: 'pesquisa' });
    expect(result).toMatchObject({ temperature: 'morno', score: 45 });
    expect(result.reasons).toContain('Apenas pesquisando (+0)');
    expect(result.reasons).toContain('Compra prevista em até 6 meses (+10)');
  });

  it('rates a student frio even when every slot is filled', () => {
    const result = scoreLead(HOT_BUYER, { intent: 'estudante' });
    expect(result.temperature).toBe('frio');
    expect(result.reasons).toContain('Estudante ou pesquisa acadêmica (−30)');
    expect(result.reasons).toContain('Estudante: lead frio');
  });

  it('rates an out-of-scope conversation frio', () => {
    const result = scoreLead(HOT_BUYER, { intent: 'compra', outOfScope: true });
    expect(result.temperature).toBe('frio');
    expect(result.reasons).toContain('Fora do escopo da Seleto: lead frio');
  });

  it('caps a lead without full fit at morno however many points it has', () => {
    const noCompany = slots({ product: 'Envasadora', volume: '500 kg/h', urgency: 'imediata' });
    const result = scoreLead(noCompany, { intent: 'compra' });
    expect(result.score).toBe(80);
    expect(result.temperature).toBe('morno');
    expect(result.reasons).toContain('Sem fit completo (produto do catálogo e empresa): no máximo morno');
  });

  it('gives no fit points for a product outside the catalogue, and says so', () => {
    const result = scoreLead(slots({ product: 'empilhadeira', company: 'Acme' }), { intent: 'compra' });
    expect(result.reasons).toContain('Produto fora do catálogo: empilhadeira (+0)');
    expect(result.score).toBe(35);
    expect(result.temperature).toBe('frio');
  });

  it('counts a valid CNPJ as a business even without a company name', () => {
    const result = scoreLead(slots({ cnpj: '11.222.333/0001-81' }), { intent: null });
    expect(result.reasons).toEqual(
      expect.arrayContaining(['Empresa identificada (+15)', 'CNPJ válido (+5)']),
    );
  });

  it('does not count an invalid CNPJ', () => {
    expect(scoreLead(slots({ cnpj: '11222333000182' }), { intent: null }).score).toBe(0);
  });

  it('puts the temperature boundaries at the documented thresholds', () => {
    // product 20 + company 15 + até 3 meses 20 + volume 10 = 65: one step short of hot.
    const warm = slots({ product: 'Seladora', company: 'Acme', urgency: 'ate_3_meses', volume: '100 un/h' });
    expect(scoreLead(warm, { intent: null })).toMatchObject({ score: 65, temperature: 'morno' });
    expect(scoreLead(warm, { intent: 'revenda' })).toMatchObject({ score: 75, temperature: 'quente' });
    // product 20 + company 15 = 35: below warm.
    expect(scoreLead(slots({ product: 'Seladora', company: 'Acme' }), { intent: null }).temperature).toBe(
      'frio',
    );
    expect(
      scoreLead(slots({ product: 'Seladora', company: 'Acme', volume: '1 mil un/dia' }), { intent: null }),
    ).toMatchObject({ score: 45, temperature: 'morno' });
  });

  it('records the LLM proposal without letting it decide', () => {
    const cold = scoreLead(emptySlots(), { intent: null, llmProposal: 'quente' });
    expect(cold.temperature).toBe('frio');
    expect(cold.reasons).toContain('Sugestão do modelo: quente (registrada, não decide)');
  });

  it('uses the catalogue from the signals', () => {
    const catalogue = [{ product: 'Sacheteira', keywords: ['sacheteira'] }];
    const lead = slots({ product: 'sacheteira', company: 'Acme' });
    expect(scoreLead(lead, { intent: null, catalogue }).reasons[0]).toBe(
      'Produto do catálogo: Sacheteira (+20)',
    );
    expect(scoreLead(lead, { intent: null }).reasons[0]).toBe('Produto fora do catálogo: sacheteira (+0)');
  });
});
