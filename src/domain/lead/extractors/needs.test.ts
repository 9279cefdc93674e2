import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRODUCT_KEYWORDS,
  extractApplication,
  extractProduct,
  extractUrgency,
  extractVolume,
  type ProductCatalogue,
} from './needs.js';

describe('extractProduct', () => {
  it.each([
    ['preciso de uma envasadora', 'Envasadora'],
    ['vcs tem enchedora de garrafa?', 'Envasadora'],
    ['procuro uma envazadora semi automatica', 'Envasadora'],
    ['uma máquina de envase pra pote', 'Envasadora'],
    ['quero uma maquina pra envasar molho', 'Envasadora'],
    ['ROTULADORAS', 'Rotuladora'],
    ['uma rosqueadora de tampas', 'Tampadora'],
    ['tampadora automática', 'Tampadora'],
    ['seladora por indução', 'Seladora'],
    ['esteira transportadora de 3 metros', 'Esteira transportadora'],
    ['só uma esteira', 'Esteira transportadora'],
    ['dosadora de pó', 'Dosadora'],
    ['encartuchadeira', 'Encartuchadeira'],
    ['quero montar uma linha completa', 'Linha completa'],
  ])('reads %j as %s', (text, expected) => {
    expect(extractProduct(text, DEFAULT_PRODUCT_KEYWORDS)).toBe(expected);
  });

  it('lists every product named, in the order the lead named them', () => {
    expect(extractProduct('preciso de rotuladora e envasadora', DEFAULT_PRODUCT_KEYWORDS)).toBe(
      'Rotuladora, Envasadora',
    );
  });

  it('recognises a catalogue label it produced itself', () => {
    expect(extractProduct('Esteira transportadora', DEFAULT_PRODUCT_KEYWORDS)).toBe('Esteira transportadora');
  });

  it.each(['preciso de um orçamento', 'vocês fazem empilhadeira?', 'a transportadora atrasou'])(
    'finds no product in %j',
    (text) => {
      expect(extractProduct(text, DEFAULT_PRODUCT_KEYWORDS)).toBeNull();
    },
  );

  it('uses the catalogue it is given, accents and all', () => {
    const catalogue: ProductCatalogue = [
      { product: 'Máquina de sachê', keywords: ['sacheteira', 'máquina de sachê'] },
    ];
    expect(extractProduct('tem maquina de sache?', catalogue)).toBe('Máquina de sachê');
    expect(extractProduct('preciso de uma envasadora', catalogue)).toBeNull();
  });
});

describe('extractVolume', () => {
  it.each([
    ['uns 2 mil frascos por hora', '2 mil frascos por hora'],
    ['500 kg/h', '500 kg/h'],
    ['10 toneladas por dia', '10 toneladas por dia'],
    ['3000 unidades/dia', '3000 unidades/dia'],
    ['2.000 frascos/h no mínimo', '2.000 frascos/h'],
    ['entre 2 e 3 mil potes por dia', 'entre 2 e 3 mil potes por dia'],
    ['produzimos 1,5 mil litros por dia', '1,5 mil litros por dia'],
    ['1000 litros ao dia', '1000 litros ao dia'],
    ['dois mil frascos por hora', 'dois mil frascos por hora'],
    ['uns 5 mil por dia', '5 mil por dia'],
    ['60 bpm', '60 bpm'],
    ['umas 800 caixas por turno', '800 caixas por turno'],
    ['20 mil sachês diários', '20 mil sachês diários'],
    ['200 caixas', '200 caixas'],
  ])('reads %j as %j', (text, expected) => {
    expect(extractVolume(text)).toBe(expected);
  });

  it.each([
    ['a bottle size', 'frascos de 500 ml'],
    ['a package weight', 'pacotes de 5 kg'],
    ['a machine count', 'temos 2 máquinas'],
    ['a year', 'em 2024 compramos uma'],
    ['no number', 'volume alto'],
  ])('finds no volume in %s', (_label, text) => {
    expect(extractVolume(text)).toBeNull();
  });
});

describe('extractUrgency', () => {
  it.each([
    ['é urgente!', 'imediata'],
    ['preciso pra ontem', 'imediata'],
    ['Urgência máxima', 'imediata'],
    ['queremos fechar este mês', 'imediata'],
    ['o quanto antes', 'imediata'],
    ['nossa maquina quebrou', 'imediata'],
    ['em 15 dias', 'imediata'],
    ['mês que vem', 'ate_3_meses'],
    ['no proximo mes', 'ate_3_meses'],
    ['daqui a 2 meses', 'ate_3_meses'],
    ['dentro de 90 dias', 'ate_3_meses'],
    ['próximo trimestre', 'ate_6_meses'],
    ['no segundo semestre', 'ate_6_meses'],
    ['em uns cinco meses', 'ate_6_meses'],
    ['nos próximos meses', 'ate_6_meses'],
    ['ano que vem', 'sem_previsao'],
    ['só pesquisando', 'sem_previsao'],
    ['so to pesquisando por enquanto', 'sem_previsao'],
    ['sem previsão', 'sem_previsao'],
    ['mais pra frente', 'sem_previsao'],
    ['daqui a 1 ano', 'sem_previsao'],
    ['não é urgente', 'sem_previsao'],
    ['nada urgente', 'sem_previsao'],
  ])('reads %j as %s', (text, expected) => {
    expect(extractUrgency(text)).toBe(expected);
  });

  it('takes the nearest horizon named', () => {
    expect(extractUrgency('ano que vem ou, se der, mês que vem')).toBe('ate_3_meses');
    expect(extractUrgency('só pesquisando, mas é urgente')).toBe('imediata');
  });

  it('lets an explicit date beat a "no rush"', () => {
    expect(extractUrgency('sem pressa, talvez em 2 meses')).toBe('ate_3_meses');
  });

  it.each(['preciso de uma envasadora', 'a máquina tem 2 anos de uso? não, é nova'])(
    'finds nothing in %j',
    (text) => {
      expect(extractUrgency(text)).toBeNull();
    },
  );
});

describe('extractApplication', () => {
  it.each([
    ['para envasar molho de tomate', 'molho de tomate'],
    ['preciso de uma envazadora pra xampu em sao paulo', 'xampu'],
    ['queremos uma envasadora para iogurte', 'iogurte'],
    ['envasadora para envasar xarope de groselha', 'xarope de groselha'],
    ['a gente trabalha com shampoo', 'shampoo'],
    ['pra envasar água mineral 2 mil frascos por hora', 'água mineral'],
    ['temos uma linha de cosméticos', 'cosméticos'],
    ['produzimos detergente', 'detergente'],
    ['Produzimos detergente e amaciante, e queremos automatizar', 'detergente e amaciante'],
    ['linha de envase de shampoo', 'shampoo'],
    ['somos uma fábrica de biscoitos, e precisamos', 'biscoitos'],
    ['trabalhamos com produtos de limpeza', 'produtos de limpeza'],
    ['nossa linha de produção de sucos', 'sucos'],
    ['envasamos mel e geleia em potes', 'mel e geleia'],
    ['nosso produto é ração pet', 'ração pet'],
    ['fabricamos o nosso próprio azeite', 'próprio azeite'],
  ])('reads %j as %j', (text, expected) => {
    expect(extractApplication(text)).toBe(expected);
  });

  it.each([
    'fazemos um orçamento?',
    'linha de envase completa',
    'preciso de uma envasadora',
    'produzimos muito',
    'rotuladora para minha fábrica',
    'máquina pra 500 ml',
  ])('finds nothing in %j', (text) => {
    expect(extractApplication(text)).toBeNull();
  });
});
