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

export function maskPii(text: string): string {
  return maskEmail(
    text.replace(WHATSAPP_JID, (_all, digits: string, domain: string) => `${maskPhone(digits)}${domain}`),
  )
    .replace(CNPJ, (match) => maskCnpj(match))
    .replace(PHONE, (match) => {
      const digits = match.replace(/\D/g, '').length;
      return digits >= PHONE_DIGITS_MIN && digits <= PHONE_DIGITS_MAX ? maskPhone(match) : match;
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
