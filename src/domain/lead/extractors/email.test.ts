import { describe, expect, it } from 'vitest';
import { extractEmail, isValidEmail } from './email.js';

describe('extractEmail', () => {
  it.each([
    ['meu email é Ana.Souza@Acme.com.br.', 'ana.souza@acme.com.br'],
    ['contato@acme.com.br, obrigado!', 'contato@acme.com.br'],
    ['manda pra (compras@laticinios-boavista.com.br)', 'compras@laticinios-boavista.com.br'],
    ['e-mail: joao+orcamentos@empresa.ind.br;', 'joao+orcamentos@empresa.ind.br'],
    ['ANA@GMAIL.COM', 'ana@gmail.com'],
  ])('reads %j as %s', (text, expected) => {
    expect(extractEmail(text)).toBe(expected);
  });

  it.each([
    ['ana@gmail.con', 'ana@gmail.com'],
    ['ana@gmial.com', 'ana@gmail.com'],
    ['ana@hotmal.com', 'ana@hotmail.com'],
    ['ana@gmail.com.br', 'ana@gmail.com'],
    ['vendas@acme.con.br', 'vendas@acme.com.br'],
  ])('fixes the common typo in %s', (text, expected) => {
    expect(extractEmail(text)).toBe(expected);
  });

  it('keeps a real .com.br provider domain', () => {
    expect(extractEmail('ana@hotmail.com.br')).toBe('ana@hotmail.com.br');
  });

  it.each([
    ['no domain dot', 'ana@acme'],
    ['a keyboard mash', 'xxx@xxx.com'],
    ['a placeholder', 'seuemail@email.com'],
    ['a documentation domain', 'ana@example.com'],
    ['double dots', 'ana..souza@acme.com'],
    ['a numeric TLD', 'ana@acme.123'],
    ['no e-mail at all', 'vou te passar o email depois'],
    ['an at sign in a handle', 'me segue no insta @acme.alimentos'],
  ])('finds nothing in %s', (_label, text) => {
    expect(extractEmail(text)).toBeNull();
  });

  it('takes the first plausible address when there are several', () => {
    expect(extractEmail('xxx@xxx.com ou ana@acme.com.br')).toBe('ana@acme.com.br');
  });
});

describe('isValidEmail', () => {
  it('checks shape only', () => {
    expect(isValidEmail('ana@acme.com.br')).toBe(true);
    expect(isValidEmail(' Ana@Acme.com ')).toBe(true);
    expect(isValidEmail('ana@-acme.com')).toBe(false);
    expect(isValidEmail('.ana@acme.com')).toBe(false);
    expect(isValidEmail('ana@acme@x.com')).toBe(false);
  });
});
