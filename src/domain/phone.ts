/**
 * Phone identity for Brazilian WhatsApp leads: turn what providers and people write into E.164
 * digits (no '+'), tell phones from privacy aliases and groups, and derive one key per lead.
 * Pure: no I/O.
 */

export type WhatsAppId =
  | { kind: 'phone'; phone: string }
  | { kind: 'lid'; lid: string }
  | { kind: 'group'; group: string }
  | { kind: 'unknown' };

const BRAZIL_COUNTRY_CODE = '55';
const MIN_E164_DIGITS = 8;
const MAX_E164_DIGITS = 15;

/** Anatel's area codes (DDD). Used to recognise national numbers typed without the 55. */
const BRAZILIAN_DDDS = new Set([
  11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46,
  47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85,
  86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
]);

/** JID servers that address a person by phone: Baileys/Evolution and whatsapp-web style. */
const PHONE_SERVERS = new Set(['s.whatsapp.net', 'c.us']);

/** Only what people put around a number: digits, '+', spaces, dashes, dots and parentheses. */
const TYPED_PHONE = /^\+?[\d\s().-]+$/;

/**
 * Classifies an id as a provider gives it: a phone (bare digits, typed number, or a phone JID,
 * device suffix `:12` dropped), a privacy alias `…@lid` (kept whole, device suffix dropped), or
 * a group (`…@g.us` on Evolution, `…-group` on Z-API; `group` is the id without the suffix).
 * Broadcast, newsletter and anything implausible are 'unknown'.
 */
export function parseWhatsAppId(id: string): WhatsAppId {
  const trimmed = id.trim();
  if (trimmed.endsWith('-group')) return groupOrUnknown(trimmed.slice(0, -'-group'.length));

  const at = trimmed.lastIndexOf('@');
  if (at === -1) return phoneOrUnknown(normalizeTypedPhone(trimmed));

  const user = withoutDevice(trimmed.slice(0, at));
  const server = trimmed.slice(at + 1).toLowerCase();
  if (server === 'g.us') return groupOrUnknown(user);
  if (server === 'lid') return /^\d+$/.test(user) ? { kind: 'lid', lid: `${user}@lid` } : { kind: 'unknown' };
  if (PHONE_SERVERS.has(server) && /^\d+$/.test(user)) return phoneOrUnknown(plausibleDigits(user));
  return { kind: 'unknown' };
}

/**
 * E.164 digits without '+' for anything that names one person's phone, else null (groups,
 * `@lid` aliases, garbage). A national number of 10 or 11 digits with a valid DDD is assumed
 * Brazilian and gets the 55 prefix.
 */
export function normalizePhone(input: string): string | null {
  const parsed = parseWhatsAppId(input);
  return parsed.kind === 'phone' ? parsed.phone : null;
}

/**
 * The canonical key for "one conversation per lead". It is for matching only: a reply always
 * goes to the chatId the provider gave us, never to this key (contract §0.5: sending to a
 * rebuilt variant can silently go nowhere).
 *
 * Why: Brazilian mobiles gained a ninth digit (a leading 9 after the DDD), but many WhatsApp
 * accounts are still registered without it (contract §0.5, [B1]–[B3]), and Evolution even drops
 * the 9 itself when it builds JIDs for DDD ≥ 31 (contract §3.1, `createJid`). So Meta's `wa_id`
 * 553187650080 and the typed 5531987650080 are the same person.
 *
 * Rule: a 12-digit Brazilian number (55 + DDD + 8 digits) whose subscriber part starts with
 * 6, 7, 8 or 9 is a mobile missing its 9, so insert it. Landlines (subscriber starting 2–5),
 * 13-digit mobiles and non-Brazilian numbers come back unchanged. Expects normalizePhone output.
 */
export function phoneKey(phone: string): string {
  const match = /^55(\d{2})([6-9]\d{7})$/.exec(phone);
  if (!match) return phone;
  const [, ddd = '', subscriber = ''] = match;
  return BRAZILIAN_DDDS.has(Number(ddd)) ? `${BRAZIL_COUNTRY_CODE}${ddd}9${subscriber}` : phone;
}

function normalizeTypedPhone(input: string): string | null {
  if (!TYPED_PHONE.test(input)) return null;
  const digits = input.replace(/\D/g, '');
  const isInternational = input.startsWith('+');
  if (!isInternational && isBrazilianNational(digits)) return `${BRAZIL_COUNTRY_CODE}${digits}`;
  return plausibleDigits(digits);
}

/**
 * DDD + 8-digit subscriber (landline, or an old mobile), or DDD + 9 + 8 digits (mobile). The
 * shape check keeps 11-digit foreign numbers that happen to start like a DDD (Chinese mobiles
 * such as 138…) from being taken for Brazilian ones.
 */
function isBrazilianNational(digits: string): boolean {
  if (!BRAZILIAN_DDDS.has(Number(digits.slice(0, 2)))) return false;
  if (digits.length === 10) return /^[2-9]$/.test(digits.charAt(2));
  if (digits.length === 11) return digits.charAt(2) === '9';
  return false;
}

/** E.164 numbers have at most 15 digits and never start with 0 (no country code does). */
function plausibleDigits(digits: string): string | null {
  const isPlausible =
    digits.length >= MIN_E164_DIGITS && digits.length <= MAX_E164_DIGITS && !digits.startsWith('0');
  return isPlausible ? digits : null;
}

function withoutDevice(user: string): string {
  const colon = user.indexOf(':');
  return colon === -1 ? user : user.slice(0, colon);
}

function phoneOrUnknown(phone: string | null): WhatsAppId {
  return phone === null ? { kind: 'unknown' } : { kind: 'phone', phone };
}

function groupOrUnknown(group: string): WhatsAppId {
  return /^[\d-]+$/.test(group) ? { kind: 'group', group } : { kind: 'unknown' };
}
