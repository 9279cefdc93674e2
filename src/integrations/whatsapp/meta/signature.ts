import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_PREFIX = 'sha256=';
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * Checks Meta's `X-Hub-Signature-256: sha256=<hex>` header: HMAC-SHA256 of the request body
 * keyed by the App Secret (contract §1.1). It must be the raw bytes as received: Meta signs a
 * body that escapes non-ASCII and '/', so re-serializing the parsed JSON never matches.
 * A missing or malformed header is simply invalid.
 */
export function verifyMetaSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (header === undefined || !header.startsWith(SIGNATURE_PREFIX)) return false;
  const givenHex = header.slice(SIGNATURE_PREFIX.length).trim();
  if (!SHA256_HEX.test(givenHex)) return false;

  const given = Buffer.from(givenHex, 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  // Both are 32 bytes here (the regex fixed the length), as timingSafeEqual requires.
  return timingSafeEqual(given, expected);
}
