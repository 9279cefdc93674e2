import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { maskName, maskPersonalData, maskPii, maskUrlSecrets } from './pii.js';

describe('maskPii', () => {
  it.each([
    ['+55 11 98765-0001', '*********0001'],
    ['5511987650001', '*********0001'],
    ['5511987650001@s.whatsapp.net', '*********0001@s.whatsapp.net'],
    ['(11) 98765-0001', '*******0001'],
  ])('masks the phone %s', (input, expected) => {
    expect(maskPii(input)).toBe(expected);
  });

  it('masks e-mails and CNPJs inside free text', () => {
    const text = 'Sou joao.silva@acme.com.br, CNPJ 11.222.333/0001-81 ou 11222333000181.';
    const masked = maskPii(text);
    expect(masked).not.toContain('joao.silva');
    expect(masked).not.toContain('11.222.333');
    expect(masked).not.toContain('11222333000181');
    expect(masked).toContain('j***@***.br');
    expect(masked).toContain('************81');
  });

  it('leaves short numbers, dates and amounts alone', () => {
    expect(maskPii('pedido 12345 em 2026-11-21, 300 kg/h')).toBe('pedido 12345 em 2026-11-21, 300 kg/h');
  });

  it('leaves our UUIDs whole, even one opening with twelve digits', () => {
    expect(maskPii('12345678-1234-4abc-8def-0123456789ab')).toBe('12345678-1234-4abc-8def-0123456789ab');
  });

  it('hides secrets passed in query strings', () => {
    expect(maskUrlSecrets('/webhooks/zapi?token=s3cr3t&x=1')).toBe('/webhooks/zapi?token=[redacted]&x=1');
    expect(maskUrlSecrets('/webhooks/meta?hub.verify_token=abc&hub.challenge=1')).toBe(
      '/webhooks/meta?hub.verify_token=[redacted]&hub.challenge=1',
    );
  });
});

describe('maskPersonalData', () => {
  it('masks personal keys whole and other strings by pattern, keeping the shape', () => {
    const stored = {
      slots: {
        name: 'Carlos  Lima',
        company: 'Acme Alimentos',
        cnpj: '11222333000181',
        email: 'not-an-email',
      },
      arguments: [{ phone: '5511987650001', note: 'escreva para ana@acme.com.br' }],
      score: 7,
      city: null,
    };
    expect(maskPersonalData(stored)).toEqual({
      slots: { name: 'C*** L***', company: 'Acme Alimentos', cnpj: '************81', email: '[personal]' },
      arguments: [{ phone: '*********0001', note: 'escreva para a***@***.br' }],
      score: 7,
      city: null,
    });
  });

  it('keeps the initials of a name', () => {
    expect(maskName(' Ana  Souza Dias ')).toBe('A*** S*** D***');
  });
});

describe('logger', () => {
  function capture() {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { log: createLogger({ level: 'info', destination }), lines };
  }

  it('never writes a full phone, e-mail, CNPJ or secret', () => {
    const { log, lines } = capture();
    log.info(
      {
        phone: '5511987650001',
        email: 'maria@example.com',
        cnpj: '11222333000181',
        lead: { text: 'meu whats é +55 11 98765-0001' },
        token: 'tok-123456',
        headers: { authorization: 'Bearer abc' },
      },
      'lead 5511987650001 wrote',
    );
    log.error({ err: new Error('PipeRun rejected maria@example.com') }, 'crm failed');
    const output = lines.join('\n');
    for (const secret of [
      '5511987650001',
      '98765-0001',
      'maria@',
      '11222333000181',
      'tok-123456',
      'Bearer abc',
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('*********0001');
    expect(output).toContain('[redacted]');
  });

  it('keeps our own identifiers readable', () => {
    const { log, lines } = capture();
    log.info({ version: '20261121000000', jobId: '01234567890123' }, 'migration applied');
    expect(lines[0]).toContain('"version":"20261121000000"');
    expect(lines[0]).toContain('"jobId":"01234567890123"');
  });
});
