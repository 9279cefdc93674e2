import { describe, expect, it } from 'vitest';
import { extractSlots } from './index.js';

describe('extractSlots', () => {
  it('reads a full introduction in one message', () => {
    const message =
      'Oi, meu nome é Ana Souza, sou da Acme Alimentos, de Campinas/SP. Precisamos de uma envasadora ' +
      'para envasar molho de tomate, uns 2 mil frascos por hora, é urgente. CNPJ 11.222.333/0001-81, ' +
      'email ana@acme.com.br, cel (19) 98765-4321';
    expect(extractSlots(message)).toEqual({
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
    });
  });

  it('reads a casual message typed without accents or capitals', () => {
    expect(
      extractSlots(
        'bom dia aqui e o joao da laticinios serra verde, sou de joinville sc, queria uma rotuladora',
      ),
    ).toEqual({ name: 'Joao', city: 'Joinville', uf: 'SC', product: 'Rotuladora' });
  });

  it('returns only what it found', () => {
    expect(extractSlots('ok, obrigado!')).toEqual({});
  });

  it('uses the catalogue it is given', () => {
    const catalogue = [{ product: 'Sacheteira', keywords: ['sacheteira'] }];
    expect(extractSlots('preciso de uma sacheteira', catalogue)).toEqual({ product: 'Sacheteira' });
    expect(extractSlots('preciso de uma envasadora', catalogue)).toEqual({});
  });
});
