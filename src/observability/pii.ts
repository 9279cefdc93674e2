import { isUuid } from '../domain/uuid.js';

/**
 * Masks personal data in free text before it reaches a log line (LGPD): phone numbers,
 * e-mail addresses and CNPJs keep only a short tail, enough to tell two leads apart in a
 * support conversation without identifying anyone.
 */

// 00.000.000/0000-00 or 14 bare digits.
const CNPJ = /\b\d{2}\.?\d{3}\.?\d{3}\/?\d{4}-?\d{2}\b/g;
const EMAIL =
  /\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@(?!(?:s\.whatsapp\.net|c\.us|g\.us)\b)[A-Za-z0-9.-]+\.([A-Za-z]{2,})\b/g;
// +55 (11) 98765-0001, 5511987650001, 11 98765 0001, 5511987650001@s.whatsapp.net ...
const PHONE = /(?<![\w.])\+?\(?\d[\d\s().-]{7,18}\d(?![\w])/g;
// WhatsApp addresses (5511987650001@s.whatsapp.net, …@c.us, …@lid) would otherwise read as e-mails.
const WHATSAPP_JID = /\b(\d{8,20})(@(?:s\.whatsapp\.net|c\.us|lid|g\.us))\b/g;
const PHONE_DIGITS_MIN = 10;
const PHONE_DIGITS_MAX = 13;
// A mobile number without its area code, as leads often write it (98765-4321, 9 8765 4321,
// 987654321): too short for the rule above, yet it identifies the person within a city. Only
// the nine-digit mobile shape: 'dddd-dddd' also occurs inside UUIDs we log.
const LOCAL_MOBILE = /^9\s?\d{4}[\s.-]?\d{4}$/;

function keepTail(value: string, tail: number): string {
  const digits = value.replace(/\D/g, '');
  return `${'*'.repeat(Math.max(0, digits.length - tail))}${digits.slice(-tail)}`;
}

export function maskPhone(value: string): string {
  return keepTail(value, 4);
}

export function maskCnpj(value: string): string {
  return keepTail(value, 2);
}

export function maskEmail(value: string): string {
  return value.replace(EMAIL, (_all, first: string, tld: string) => `${first}***@***.${tld}`);
}

// Our own ids: a UUID opening with twelve digits around its first dash would read as a phone.

export function maskPii(text: string): string {
  if (isUuid(text)) return text;
  return maskEmail(
    text.replace(WHATSAPP_JID, (_all, digits: string, domain: string) => `${maskPhone(digits)}${domain}`),
  )
    .replace(CNPJ, (match) => maskCnpj(match))
    .replace(PHONE, (match) => {
      const digits = match.replace(/\D/g, '').length;
      const isPhone = (digits >= PHONE_DIGITS_MIN && digits <= PHONE_DIGITS_MAX) || LOCAL_MOBILE.test(match);
      return isPhone ? maskPhone(match) : match;
    });
}

const MAX_DEPTH = 6;

// Identifiers we generate ourselves: digit runs in them (migration versions, job ids) are not phones.
const OWN_IDENTIFIER_KEYS = new Set([
  'version',
  'applied',
  'pending',
  'requestId',
  'correlationId',
  'jobId',
  'deadLetterJobId',
  'queue',
  'queues',
  'messageId',
]);

/** Deep copy of a log payload with every string masked; non-plain objects are kept as they are. */
export function maskPiiDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPii(value);
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskPiiDeep(item, depth + 1));
  if (value instanceof Error) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = OWN_IDENTIFIER_KEYS.has(key) ? child : maskPiiDeep(child, depth + 1);
  }
  return out;
}

/** Hides a secret passed in a query string (`?token=…`), as Z-API, Evolution and Chatwoot webhooks do. */
export function maskUrlSecrets(url: string): string {
  return url.replace(
    /([?&](?:token|secret|key|api_key|access_token|hub\.verify_token)=)[^&#]*/gi,
    '$1[redacted]',
  );
}

/** A person's name keeps its initials: enough to match a lead the operator was told about. */
export function maskName(value: string): string {
  return value
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '')
    .map((word) => `${word.charAt(0)}***`)
    .join(' ');
}

function maskWholeEmail(value: string): string {
  const masked = maskEmail(value);
  // Something stored as an e-mail that does not look like one is still personal data.
  return masked === value ? '[personal]' : masked;
}

// Keys whose whole value is personal data in what we store (lead slots, tool arguments, outbox).
const PERSONAL_VALUE_KEYS: Record<string, (value: string) => string> = {
  name: maskName,
  phone: maskPhone,
  cnpj: maskCnpj,
  email: maskWholeEmail,
};

/**
 * Deep copy of stored data shown to an operator: values under personal keys masked whole,
 * every other string masked by pattern. Names inside free text cannot be told apart and stay.
 */
export function maskPersonalData(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPii(value);
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskPersonalData(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const maskWhole = PERSONAL_VALUE_KEYS[key];
    out[key] =
      maskWhole && typeof child === 'string' && child !== ''
        ? maskWhole(child)
        : maskPersonalData(child, depth + 1);
  }
  return out;
}
