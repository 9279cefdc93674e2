import { describe, expect, it } from 'vitest';
import { extractLocation, isKnownPlace } from './location.js';
import { STATES, UF_CODES } from './places.js';
import { fold } from './text.js';

const CAPITALS: ReadonlyArray<readonly [string, string]> = [
  ['Rio Branco', 'AC'],
  ['Maceió', 'AL'],
  ['Macapá', 'AP'],
  ['Manaus', 'AM'],
  ['Salvador', 'BA'],
  ['Fortaleza', 'CE'],
  ['Brasília', 'DF'],
  ['Vitória', 'ES'],
  ['Goiânia', 'GO'],
  ['São Luís', 'MA'],
  ['Cuiabá', 'MT'],
  ['Campo Grande', 'MS'],
  ['Belo Horizonte', 'MG'],
  ['Belém', 'PA'],
  ['João Pessoa', 'PB'],
  ['Curitiba', 'PR'],
  ['Recife', 'PE'],
  ['Teresina', 'PI'],
  ['Rio de Janeiro', 'RJ'],
  ['Natal', 'RN'],
  ['Porto Alegre', 'RS'],
  ['Porto Velho', 'RO'],
  ['Boa Vista', 'RR'],
  ['Florianópolis', 'SC'],
  ['São Paulo', 'SP'],
  ['Aracaju', 'SE'],
  ['Palmas', 'TO'],
];

describe('extractLocation: states', () => {
  it('knows all 27 UFs', () => {
    expect(UF_CODES).toHaveLength(27);
    expect(STATES.map((state) => state.uf).sort()).toEqual([...UF_CODES].sort());
  });

  it.each(UF_CODES)('reads %s as an uppercase code after "sou do"', (uf) => {
    expect(extractLocation(`sou do ${uf}`).uf).toBe(uf);
  });

  it.each(UF_CODES)('reads %s as a lowercase labelled code', (uf) => {
    expect(extractLocation(`UF: ${uf.toLowerCase()}`).uf).toBe(uf);
  });

  it.each(UF_CODES)('reads %s after an unknown city and a slash', (uf) => {
    expect(extractLocation(`Vila Rica/${uf}`)).toEqual({ city: 'Vila Rica', uf });
  });

  it.each(STATES.map((state) => [state.name, state.uf] as const))('reads the state name %s', (name, uf) => {
    expect(extractLocation(`nossa fábrica fica no interior, estado de ${name}`).uf).toBe(uf);
  });

  it.each(STATES.map((state) => [fold(state.name), state.uf] as const))(
    'reads the state name without accents, %s',
    (name, uf) => {
      expect(extractLocation(`somos de ${name}`).uf).toBe(uf);
    },
  );

  it.each([
    ['sou de minas', 'MG'],
    ['a fábrica é em Minas', 'MG'],
    ['sou do Pará', 'PA'],
    ['estado do para', 'PA'],
    ['atendemos o Rio Grande do Sul', 'RS'],
    ['somos do Mato Grosso do Sul', 'MS'],
    ['somos do Mato Grosso', 'MT'],
    ['uma empresa do Paraná', 'PR'],
    ['aqui em sta catarina', 'SC'],
    ['sou de pernanbuco', 'PE'],
    ['sou do rs', 'RS'],
    ['somos de SP', 'SP'],
    ['Atendemos SP e MG', 'SP'],
    ['fica em rj', 'RJ'],
  ])('reads %j as %s', (text, uf) => {
    expect(extractLocation(text).uf).toBe(uf);
  });
});

describe('extractLocation: cities', () => {
  it.each(CAPITALS)('knows the capital %s (%s)', (city, uf) => {
    expect(extractLocation(`sou de ${city}`)).toEqual({ city, uf });
  });

  it.each(CAPITALS)('knows the capital %s without accents or capitals', (city, uf) => {
    expect(extractLocation(`moro em ${fold(city)}`)).toEqual({ city, uf });
  });

  it.each([
    ['Campinas/SP', 'Campinas', 'SP'],
    ['Campinas - SP', 'Campinas', 'SP'],
    ['Campinas – SP', 'Campinas', 'SP'],
    ['Campinas (SP)', 'Campinas', 'SP'],
    ['campinas sp', 'Campinas', 'SP'],
    ['de Joinville, SC', 'Joinville', 'SC'],
    ['sou de Curitiba', 'Curitiba', 'PR'],
    ['aqui em Belo Horizonte', 'Belo Horizonte', 'MG'],
    ['aqui em BH', 'Belo Horizonte', 'MG'],
    ['cidade: Caxias do Sul', 'Caxias do Sul', 'RS'],
    ['sou de Campinas', 'Campinas', 'SP'],
    ['sou de campinas, interior de sp', 'Campinas', 'SP'],
    ['nossa planta fica em Sao Jose dos Campos', 'São José dos Campos', 'SP'],
    ['somos de são josé dos pinhais', 'São José dos Pinhais', 'PR'],
    ['a fábrica é em Jaraguá do Sul', 'Jaraguá do Sul', 'SC'],
    ['fica em Uberlandia', 'Uberlândia', 'MG'],
    ['moro no rio', 'Rio de Janeiro', 'RJ'],
    ['Floripa', 'Florianópolis', 'SC'],
    ['Natal', 'Natal', 'RN'],
    ['natal - rn.', 'Natal', 'RN'],
    ['fábrica em Natal', 'Natal', 'RN'],
    ['sou de Santa Maria, RS', 'Santa Maria', 'RS'],
    ['Santa Maria/DF', 'Santa Maria', 'DF'],
    ['Vitória da Conquista', 'Vitória da Conquista', 'BA'],
    ['aqui em Porto Alegre/RS', 'Porto Alegre', 'RS'],
    ['sou de São Paulo', 'São Paulo', 'SP'],
    ['SOU DE CAMPINAS/SP', 'Campinas', 'SP'],
    ['Campinas, perto de Itupeva/SP', 'Campinas', 'SP'],
  ])('reads %j as %s/%s', (text, city, uf) => {
    expect(extractLocation(text)).toEqual({ city, uf });
  });

  it.each([
    ['Itupeva/SP', 'Itupeva', 'SP'],
    ['Sou de Itupeva - SP', 'Itupeva', 'SP'],
    ['Pouso Redondo, SC', 'Pouso Redondo', 'SC'],
    ['moro em Itupeva', 'Itupeva', null],
    ['cidade: itupeva', 'Itupeva', null],
    ['cidade: itupeva sp', 'Itupeva', 'SP'],
    ['sou de Itupeva, interior de São Paulo', 'Itupeva', 'SP'],
    ['Itupeva/SP, perto de Jundiaí', 'Itupeva', 'SP'],
  ])('reads an unlisted city in %j', (text, city, uf) => {
    expect(extractLocation(text)).toEqual({ city, uf });
  });

  it('takes the state, not the city, after "interior de" or "estado de"', () => {
    expect(extractLocation('interior de São Paulo')).toEqual({ city: null, uf: 'SP' });
    expect(extractLocation('estado do Rio de Janeiro')).toEqual({ city: null, uf: 'RJ' });
  });
});

describe('extractLocation: false positives', () => {
  it.each([
    'se você puder me ligar amanhã',
    'ma non troppo',
    'to precisando de uma envasadora',
    'preciso de uma máquina para envasar',
    'rsrs ok mt obrigado',
    'a dosagem é de 500 mg por cápsula',
    'as minas do escritório adoraram',
    'aqui em se tratando de envase a gente manja',
    'ESTOU EM SE TRATANDO DE ENVASE',
    'TO COM PRESSA',
    'o modelo ES-200 serve?',
    'vamos ver no pe da letra',
    'al dente, am I right?',
    'quero uma cesta de Natal personalizada',
    'nossas vitórias deste ano',
    'meu nome é Ana dos Santos',
    'trabalho na Laticínios Boa Vista',
    'a contagem de frascos é manual',
    'compramos na feira do ano passado',
    'sou de Compras',
    'estou em Reunião agora',
    'sou de família italiana',
    'pode mandar em pdf ou no whats',
    'pi pi pi, to ce am ap pb rn',
  ])('finds no place in %j', (text) => {
    expect(extractLocation(text)).toEqual({ city: null, uf: null });
  });

  it('does not read a word after a city as a state', () => {
    expect(extractLocation('Campinas, se puder me ligue')).toEqual({ city: 'Campinas', uf: 'SP' });
    expect(extractLocation('sou de Campinas to precisando de ajuda')).toEqual({ city: 'Campinas', uf: 'SP' });
  });
});

describe('isKnownPlace', () => {
  it('recognises city and state names however typed', () => {
    expect(isKnownPlace('Bahia')).toBe(true);
    expect(isKnownPlace('sao  paulo')).toBe(true);
    expect(isKnownPlace('Acme')).toBe(false);
  });
});
