/**
 * A phone number a lead types in a message ("me liga no (11) 98765-0001"), as E.164 digits. The
 * WhatsApp number is already known; this catches a second number or a colleague's.
 */
import { normalizePhone } from '../../phone.js';

/** A run of digits with what people put between them: spaces, dots, dashes, parentheses, a '+'. */
const PHONE_CANDIDATE = /(?<![\p{L}\p{N}@.,/])(?:\+\s?)?\(?\d[\d\s().-]{6,}\d/gu;

/** 55 + DDD + 8 or 9 digits: what normalizePhone gives for a Brazilian number. */
const BRAZILIAN_E164 = /^55\d{10,11}$/;

/**
 * The first number that is a Brazilian phone (typed with or without 55) or an explicitly
 * international one (typed with '+'), else null. Other digit runs (CNPJs, CEPs, quantities,
 * order numbers) are not taken for phones, so a bare run must come out Brazilian.
 */
export function extractPhone(text: string): string | null {
  for (const match of text.matchAll(PHONE_CANDIDATE)) {
    const phone = toPhone(match[0]);
    if (phone !== null) return phone;
  }
  return null;
}

function toPhone(candidate: string): string | null {
  const typed = candidate.trim();
  const isInternational = typed.startsWith('+');
  // A long-distance call was dialled 0 + DDD; people still write it that way.
  const withoutTrunkZero = isInternational
    ? typed
    : typed.replace(/^\(?0(?=\d{2}\D*\d)/, (zero) => zero.slice(0, -1));
  const phone = normalizePhone(withoutTrunkZero);
  if (phone === null) return null;
  return isInternational || BRAZILIAN_E164.test(phone) ? phone : null;
}
