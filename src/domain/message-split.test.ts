import { describe, expect, it } from 'vitest';
import { splitMessage } from './message-split.js';

/** No part may end in a high surrogate or start with a low one. */
function hasBrokenSurrogate(part: string): boolean {
  return /^[\uDC00-\uDFFF]/.test(part) || /[\uD800-\uDBFF]$/.test(part);
}

describe('splitMessage', () => {
  it('returns the text as one part when it fits', () => {
    expect(splitMessage('Oi! Tudo bem?', 50)).toEqual(['Oi! Tudo bem?']);
  });

  it('trims a text that fits and returns nothing for blank text', () => {
    expect(splitMessage('  Olá  \n', 50)).toEqual(['Olá']);
    expect(splitMessage(' \n\n ', 50)).toEqual([]);
  });

  it('splits at paragraph breaks before sentence ends', () => {
    const text = 'Primeiro parágrafo. Ainda nele.\n\nSegundo parágrafo aqui.';
    expect(splitMessage(text, 40)).toEqual(['Primeiro parágrafo. Ainda nele.', 'Segundo parágrafo aqui.']);
  });

  it('splits at the last sentence end that fits when there is no paragraph break', () => {
    const text = 'A entrega custa R$ 8,00. Chega em duas horas! Posso confirmar o pedido?';
    expect(splitMessage(text, 50)).toEqual([
      'A entrega custa R$ 8,00. Chega em duas horas!',
      'Posso confirmar o pedido?',
    ]);
  });

  it('prefers a line break to a sentence end, so list items stay whole', () => {
    const text = 'Temos dois modelos. Veja:\n- Secador S300, 300 kg/h\n- Secador S150, 150 kg/h';
    expect(splitMessage(text, 50)).toEqual([
      'Temos dois modelos. Veja:\n- Secador S300, 300 kg/h',
      '- Secador S150, 150 kg/h',
    ]);
  });

  it('falls back to spaces and never cuts inside a word', () => {
    const text = 'Nosso secador industrial processa trezentos quilos por hora';
    const parts = splitMessage(text, 20);
    expect(parts).toEqual(['Nosso secador', 'industrial processa', 'trezentos quilos por', 'hora']);
    expect(parts.join(' ')).toBe(text);
  });

  it('cuts a single word longer than maxLength', () => {
    const parts = splitMessage('https://loja.exemplo.com.br/pedidos/4821', 16);
    expect(parts).toEqual(['https://loja.exe', 'mplo.com.br/pedi', 'dos/4821']);
  });

  it('keeps every part within maxLength on long Portuguese text', () => {
    const paragraph =
      'Olá, João! Obrigado pelo contato com a Seleto Industrial. Nossas máquinas de café atendem ' +
      'de pequenas torrefações a grandes indústrias, com capacidade de 15 a 300 kg/h. ';
    const text = `${paragraph.repeat(6)}\n\n${paragraph.repeat(4)}`;
    const parts = splitMessage(text, 300);
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(300);
      expect(part).toBe(part.trim());
      expect(part.length).toBeGreaterThan(0);
    }
    expect(parts.join(' ').replace(/\s+/g, ' ')).toBe(text.trim().replace(/\s+/g, ' '));
  });

  it('never splits an emoji, even inside a long run of them', () => {
    const text = '😀'.repeat(15);
    const parts = splitMessage(text, 5);
    expect(parts.join('')).toBe(text);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(5);
      expect(hasBrokenSurrogate(part)).toBe(false);
    }
  });

  it('keeps a skin-tone emoji whole when the cut would fall between its code points', () => {
    // 👍🏽 is four code units: the thumb and the modifier. A cut at 4 would separate them.
    const parts = splitMessage('abc👍🏽def', 5);
    expect(parts).toEqual(['abc', '👍🏽d', 'ef']);
  });

  it('splits on spaces around emoji without breaking them', () => {
    const parts = splitMessage('Perfeito 👍 vou enviar o orçamento 📄 ainda hoje 🚚', 20);
    expect(parts).toEqual(['Perfeito 👍 vou', 'enviar o orçamento', '📄 ainda hoje 🚚']);
  });

  it('rejects a maxLength too small to hold any character', () => {
    expect(() => splitMessage('abc', 1)).toThrow(RangeError);
    expect(() => splitMessage('abc', 2.5)).toThrow(RangeError);
  });
});
