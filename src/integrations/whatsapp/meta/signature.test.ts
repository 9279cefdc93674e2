import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyMetaSignature } from './signature.js';

const APP_SECRET = 'test-app-secret';
// Contract §1.1 test vector: the exact bytes of meta/text.json, copied byte for byte into the repo.
const TEXT_FIXTURE = readFileSync(
  new URL('../../../../tests/fixtures/whatsapp/meta/text.json', import.meta.url),
);
const TEXT_SIGNATURE = 'sha256=e352026daadc18db6fd2e1a03f74f14ef256dfd369b7b1f92cc8b3625ff7483d';

describe('verifyMetaSignature', () => {
  it('accepts the contract’s test vector for the raw fixture bytes', () => {
    expect(TEXT_FIXTURE.length).toBe(989);
    expect(verifyMetaSignature(TEXT_FIXTURE, TEXT_SIGNATURE, APP_SECRET)).toBe(true);
  });

  it('accepts an upper-case hex digest', () => {
    expect(
      verifyMetaSignature(
        TEXT_FIXTURE,
        TEXT_SIGNATURE.toUpperCase().replace('SHA256=', 'sha256='),
        APP_SECRET,
      ),
    ).toBe(true);
  });

  it('rejects the same payload re-serialized from the parsed JSON', () => {
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(TEXT_FIXTURE.toString('utf8'))));
    expect(reserialized.equals(TEXT_FIXTURE)).toBe(false);
    expect(verifyMetaSignature(reserialized, TEXT_SIGNATURE, APP_SECRET)).toBe(false);
  });

  it('rejects a body changed by one byte', () => {
    const tampered = Buffer.from(TEXT_FIXTURE);
    tampered[tampered.length - 2] = 0x20;
    expect(verifyMetaSignature(tampered, TEXT_SIGNATURE, APP_SECRET)).toBe(false);
  });

  it('rejects the right body signed with another secret', () => {
    expect(verifyMetaSignature(TEXT_FIXTURE, TEXT_SIGNATURE, 'another-secret')).toBe(false);
  });

  it('signs any body the same way Meta does', () => {
    const body = Buffer.from('{"a":"\\u00e9\\/"}');
    const header = `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;
    expect(verifyMetaSignature(body, header, APP_SECRET)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['without the sha256= prefix', TEXT_SIGNATURE.slice('sha256='.length)],
    ['with another algorithm', TEXT_SIGNATURE.replace('sha256=', 'sha1=')],
    ['truncated', TEXT_SIGNATURE.slice(0, -2)],
    ['too long', `${TEXT_SIGNATURE}00`],
    ['not hex', `sha256=${'z'.repeat(64)}`],
  ])('rejects a header that is %s', (_label, header) => {
    expect(verifyMetaSignature(TEXT_FIXTURE, header, APP_SECRET)).toBe(false);
  });
});
