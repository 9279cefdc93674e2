import { describe, expect, it } from 'vitest';
import { findQuantities, type QuantityKind } from './quantities.js';

function kindsIn(sentence: string): QuantityKind[] {
  return findQuantities(sentence).map((quantity) => quantity.kind);
}

describe('findQuantities', () => {
  it.each([
    ['r$ 45.000,00', 'money'],
    ['45 mil reais', 'money'],
    ['uns 40 mil', 'money'],
    ['quarenta e cinco mil e quinhentos', 'money'],
    ['a partir de 80k', 'money'],
    ['15% de desconto', 'percent'],
    ['dez por cento', 'percent'],
    ['em 12x', 'installments'],
    ['2.000 frascos', 'measure'],
    ['500 kg/h', 'measure'],
    ['220 v', 'measure'],
    ['2 mil por hora', 'rate'],
    ['fica em 12.000 fechado', 'bare'],
  ] as const)('reads %j as %s', (sentence, kind) => {
    expect(kindsIn(sentence)).toEqual([kind]);
  });

  it('reads time spans with their unit and whether they are a schedule', () => {
    expect(findQuantities('em trinta dias uteis')).toEqual([
      { start: 3, end: 20, kind: 'duration', timeUnit: 'days', isSchedule: false },
    ]);
    expect(findQuantities('8 horas por dia')[0]).toMatchObject({ timeUnit: 'hours', isSchedule: true });
  });

  it('gives the first number of a range the unit written after the last', () => {
    expect(kindsIn('de 80 a 120 micras')).toEqual(['measure', 'measure']);
    expect(kindsIn('entre 60 e 75 mil')).toEqual(['money', 'money']);
    expect(kindsIn('de 6 a 8 semanas')).toEqual(['duration', 'duration']);
  });

  it('does not take a lone "um" for a figure', () => {
    expect(kindsIn('um pouco')).toEqual(['measure']);
    expect(kindsIn('um mes')).toEqual(['duration']);
  });
});
