import { describe, expect, it } from 'vitest';
import { scoreLead } from './scoring.js';
import { emptySlots, type LeadSlots } from './slots.js';
import {
  buildLeadSummary,
  formatPhone,
  type LeadSummary,
  LeadSummarySchema,
  renderNotePt,
} from './summary.js';

const COMPLETE: LeadSlots = {
  name: 'Ana Souza',
  company: 'Acme Alimentos',
  cnpj: '11222333000181',
  city: 'Campinas',
  uf: 'SP',
  email: 'ana@acme.com.br',
  phone: '5519987654321',
  product: 'Envasadora',
  application: 'molho de tomate',
  volume: '2 mil frascos por hora',
  urgency: 'imediata',
};

function summaryOf(slots: LeadSlots, extra: Partial<LeadSummary> = {}): LeadSummary {
  return {
    ...buildLeadSummary({
      slots,
      score: scoreLead(slots, { intent: 'compra' }),
      resumo: 'Indústria de molhos ampliando a linha; quer envasadora para 2 mil frascos/h.',
      proximosPassos: ['Ligar hoje para agendar visita técnica', 'Enviar catálogo de envasadoras'],
    }),
    ...extra,
  };
}

describe('renderNotePt', () => {
  it('renders a complete lead with every field labelled', () => {
    const lines = renderNotePt(summaryOf(COMPLETE)).split('\n');
    expect(lines[0]).toBe('Qualificação do lead (agente Seleto)');
    expect(lines).toContain('Temperatura: Quente');
    expect(lines).toContain('Motivos:');
    expect(lines).toContain('- Urgência imediata (+30)');
    expect(lines).toContain('Nome: Ana Souza');
    expect(lines).toContain('Telefone: +55 (19) 98765-4321');
    expect(lines).toContain('E-mail: ana@acme.com.br');
    expect(lines).toContain('Empresa: Acme Alimentos');
    expect(lines).toContain('CNPJ: 11.222.333/0001-81');
    expect(lines).toContain('Cidade: Campinas');
    expect(lines).toContain('UF: SP');
    expect(lines).toContain('Produto de interesse: Envasadora');
    expect(lines).toContain('Aplicação: molho de tomate');
    expect(lines).toContain('Volume de produção: 2 mil frascos por hora');
    expect(lines).toContain('Urgência: Imediata');
    expect(lines).toContain(
      'Resumo: Indústria de molhos ampliando a linha; quer envasadora para 2 mil frascos/h.',
    );
    expect(lines.slice(-3)).toEqual([
      'Próximos passos:',
      '- Ligar hoje para agendar visita técnica',
      '- Enviar catálogo de envasadoras',
    ]);
    expect(lines).not.toContain(expect.stringContaining('Não informado'));
  });

  it('groups fields in contact, company and need sections', () => {
    const lines = renderNotePt(summaryOf(COMPLETE)).split('\n');
    const contact = lines.indexOf('Contato');
    const company = lines.indexOf('Empresa');
    const need = lines.indexOf('Necessidade');
    expect(contact).toBeGreaterThan(0);
    expect(lines[contact - 1]).toBe('');
    expect(contact < lines.indexOf('Nome: Ana Souza') && lines.indexOf('Nome: Ana Souza') < company).toBe(
      true,
    );
    expect(company < lines.indexOf('CNPJ: 11.222.333/0001-81') && lines.indexOf('UF: SP') < need).toBe(true);
  });

  it('says "Não informado" for every missing field', () => {
    const sparse = { ...emptySlots(), name: 'João', product: 'Rotuladora' };
    const note = renderNotePt(summaryOf(sparse, { resumo: '', proximosPassos: [] }));
    const lines = note.split('\n');
    for (const label of [
      'Telefone',
      'E-mail',
      'Empresa',
      'CNPJ',
      'Cidade',
      'UF',
      'Aplicação',
      'Volume de produção',
      'Urgência',
      'Resumo',
      'Próximos passos',
    ]) {
      expect(lines).toContain(`${label}: Não informado`);
    }
    expect(lines).toContain('Nome: João');
    expect(lines).toContain('Produto de interesse: Rotuladora');
    // Catalogue product (+20) and intent to buy (+20) make 40: morno.
    expect(lines).toContain('Temperatura: Morno');
  });

  it('says "Não informado" when there are no reasons', () => {
    const note = renderNotePt({ ...summaryOf(COMPLETE), reasons: [] });
    expect(note.split('\n')).toContain('Motivos: Não informado');
  });

  it('flags a CNPJ whose check digits do not match instead of hiding it', () => {
    const note = renderNotePt(summaryOf({ ...COMPLETE, cnpj: '11222333000182' }));
    expect(note.split('\n')).toContain('CNPJ: 11.222.333/0001-82 (dígitos verificadores não conferem)');
  });

  it('writes the temperature in words', () => {
    const morno = renderNotePt({ ...summaryOf(COMPLETE), temperature: 'morno' });
    expect(morno.split('\n')).toContain('Temperatura: Morno');
  });
});

describe('LeadSummarySchema', () => {
  it('accepts what buildLeadSummary builds and rejects an unknown temperature', () => {
    const summary = summaryOf(COMPLETE);
    expect(LeadSummarySchema.parse(summary)).toEqual(summary);
    expect(LeadSummarySchema.safeParse({ ...summary, temperature: 'fervendo' }).success).toBe(false);
  });

  it('keeps next steps short', () => {
    const summary = summaryOf(COMPLETE);
    const tooMany = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(LeadSummarySchema.safeParse({ ...summary, proximosPassos: tooMany }).success).toBe(false);
  });
});

describe('formatPhone', () => {
  it.each([
    ['5519987654321', '+55 (19) 98765-4321'],
    ['551934567890', '+55 (19) 3456-7890'],
    ['16505551234', '+16505551234'],
  ])('writes %s as %s', (phone, expected) => {
    expect(formatPhone(phone)).toBe(expected);
  });
});
