import { describe, expect, it } from 'vitest';
import { extractName } from './name.js';

describe('extractName', () => {
  it.each([
    ['meu nome é Ana Souza', 'Ana Souza'],
    ['Oi! Meu nome é Ana Souza, tudo bem?', 'Ana Souza'],
    ['meu nome e ana souza e trabalho na acme', 'Ana Souza'],
    ['meu nome eh joao', 'Joao'],
    ['Meu nome: Roberto Carlos.', 'Roberto Carlos'],
    ['Nome: ANA PAULA SOUZA', 'Ana Paula Souza'],
    ['aqui é o João', 'João'],
    ['Boa tarde, aqui é a Patrícia da Acme', 'Patrícia'],
    ['aqui eh o marcos', 'Marcos'],
    ['me chamo Maria', 'Maria'],
    ['me xamo Maria', 'Maria'],
    ['pode me chamar de Zé Carlos', 'Zé Carlos'],
    ['me chamo joão pedro, sou da Acme', 'João Pedro'],
    ['sou a Carla, da Acme', 'Carla'],
    ['sou a Carla da Acme', 'Carla'],
    ['sou a carla', 'Carla'],
    ['Eu sou o Ricardo e preciso de uma rotuladora', 'Ricardo'],
    ['Sou Paulo, comprador', 'Paulo'],
    ['é a Fernanda falando', 'Fernanda'],
    ['Bom dia, Fernanda falando', 'Fernanda'],
    ['oi, é a fernanda falando', 'Fernanda'],
    ['Aqui quem fala é a Luciana', 'Luciana'],
    ['meu nome é Maria da Silva', 'Maria da Silva'],
    ['meu nome é José dos Santos Oliveira, da Acme', 'José dos Santos Oliveira'],
    ['meu nome é Ana Gerente de compras', 'Ana'],
  ])('reads %j as %s', (text, expected) => {
    expect(extractName(text)).toBe(expected);
  });

  it.each([
    'sou de Campinas',
    'sou engenheiro',
    'Sou Engenheiro de produção',
    'sou da Acme',
    'sou do comercial',
    'sou o responsável pelas compras',
    'sou a gerente da fábrica',
    'aqui é da Acme',
    'quem está falando?',
    'estou falando com a Seleto?',
    'vocês falando de preço me ajudaria',
    'preciso de uma envasadora',
    'meu nome está no cadastro',
    'sou estudante de engenharia',
    'bom dia',
  ])('finds no name in %j', (text) => {
    expect(extractName(text)).toBeNull();
  });

  it('prefers an explicit "meu nome é" to a later "sou"', () => {
    expect(extractName('Sou Paulo? Não, meu nome é Pedro')).toBe('Pedro');
  });

  it('keeps at most four name words', () => {
    expect(extractName('meu nome é Ana Beatriz Souza Lima Ferreira')).toBe('Ana Beatriz Souza Lima');
  });
});
