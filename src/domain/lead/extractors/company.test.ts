import { describe, expect, it } from 'vitest';
import { extractCompany } from './company.js';

describe('extractCompany', () => {
  it.each([
    ['sou da empresa Acme Alimentos', 'Acme Alimentos'],
    ['falo da empresa Acme Alimentos, de Campinas', 'Acme Alimentos'],
    ['trabalho na Laticínios Boa Vista', 'Laticínios Boa Vista'],
    ['trabalho no Grupo Sabor do Campo e queria um orçamento', 'Grupo Sabor do Campo'],
    ['sou da Acme', 'Acme'],
    ['Sou da ACME, tudo bem?', 'ACME'],
    ['empresa: X Ltda', 'X Ltda'],
    ['Empresa - Cosméticos Bela Flor Ltda. Preciso de uma rotuladora', 'Cosméticos Bela Flor Ltda.'],
    ['empresa: acme alimentos', 'Acme Alimentos'],
    ['nome da empresa é doces da vovó', 'Doces da Vovó'],
    ['a empresa se chama Química Forte', 'Química Forte'],
    ['razão social: Indústria de Molhos Sul S.A.', 'Indústria de Molhos Sul S.A.'],
    ['represento a Y', 'Y'],
    ['represento a empresa Tintas Norte', 'Tintas Norte'],
    ['sou a Carla, da Acme', 'Acme'],
    ['sou engenheiro da Acme', 'Acme'],
    ['aqui é da Bebidas Serra Azul', 'Bebidas Serra Azul'],
    ['falo em nome da Farma Vida', 'Farma Vida'],
    ['somos a Acme Cosméticos', 'Acme Cosméticos'],
    ['trabalho na Acme S.A. e preciso de uma seladora', 'Acme S.A.'],
    ['sou da Silva & Cia ME', 'Silva & Cia ME'],
    ['sou da Acme me liga depois', 'Acme'],
    ['minha empresa Doce Lar produz geleias', 'Doce Lar'],
    ['da empresa 3M do Brasil', '3M do Brasil'],
  ])('reads %j as %s', (text, expected) => {
    expect(extractCompany(text)).toBe(expected);
  });

  it.each([
    ['a state', 'sou da Bahia'],
    ['a city', 'sou do Rio'],
    ['a department', 'sou do comercial'],
    ['a capitalised department', 'sou do Comercial'],
    ['a company cue followed by a verb', 'nossa empresa produz detergente'],
    ['an adjective', 'a empresa é grande'],
    ['a place after "trabalho na"', 'trabalho na Paraíba'],
    ['a surname', 'meu nome é Maria da Silva'],
    ['ourselves', 'falo da Seleto?'],
    ['lowercase after a loose cue', 'trabalho na área de envase'],
    ['no company at all', 'preciso de uma envasadora'],
  ])('finds no company in %s', (_label, text) => {
    expect(extractCompany(text)).toBeNull();
  });
});
