import { describe, expect, it } from 'vitest';
import { storable } from './storable-text.js';

describe('storable', () => {
  it('replaces NUL and unpaired surrogates, keeps pairs, deep in objects and arrays', () => {
    const value = { text: 'oi\u0000 \ud83d tudo 😀', nested: [{ name: 'a\udfffb' }], n: 1, none: null };
    expect(storable(value)).toEqual({
      text: 'oi\uFFFD \uFFFD tudo 😀',
      nested: [{ name: 'a\uFFFDb' }],
      n: 1,
      none: null,
    });
  });

  it('returns a clean value itself, without copying it', () => {
    const value = { text: 'Olá 😀', list: ['a', 'b'] };
    expect(storable(value)).toBe(value);
  });
});
