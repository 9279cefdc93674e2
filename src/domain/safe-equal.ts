import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares secrets in constant time, whatever their lengths (hashing equalises them). The
 * strings are hashed as UTF-16 code units: as UTF-8, every lone surrogate becomes the same
 * U+FFFD bytes, so "x\ud800" would have matched "x\udfff" and "x\ufffd".
 */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf16le').digest();
  const b = createHash('sha256').update(expected, 'utf16le').digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}
