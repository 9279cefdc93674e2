/**
 * E-mail addresses as leads type them on WhatsApp: inside a sentence, in any case, followed by
 * punctuation, sometimes with a provider's name misspelt. The agent should still read the
 * address back to the lead before it goes to the CRM.
 */

const LOCAL_PART_CHAR = /[a-z0-9._%+'-]/i;
const DOMAIN_AFTER_AT = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+/i;
const MAX_LOCAL_PART = 64;
const MAX_ADDRESS = 254;

/** Misspellings of the big providers seen in Brazilian forms; the right domain is not in doubt. */
const PROVIDER_TYPOS: Readonly<Record<string, string>> = {
  'gmail.con': 'gmail.com',
  'gmail.co': 'gmail.com',
  'gmail.com.br': 'gmail.com',
  'gmial.com': 'gmail.com',
  'gmai.com': 'gmail.com',
  'gamil.com': 'gmail.com',
  'gnail.com': 'gmail.com',
  'gmal.com': 'gmail.com',
  'hotmail.con': 'hotmail.com',
  'hotmal.com': 'hotmail.com',
  'hotmial.com': 'hotmail.com',
  'hotmai.com': 'hotmail.com',
  'outlook.con': 'outlook.com',
  'outlok.com': 'outlook.com',
  'yahoo.con': 'yahoo.com',
  'yaho.com': 'yahoo.com',
};

/** ".con" and friends are not top-level domains; ".com" is what was meant. */
const TLD_TYPOS = new Set(['con', 'cmo', 'ocm', 'vom', 'xom', 'comm']);

/** Placeholders people type to get past a question, and documentation domains. */
const JUNK_DOMAINS = new Set([
  'example.com',
  'example.org',
  'exemplo.com',
  'email.com',
  'dominio.com',
  'domain.com',
  'teste.com',
  'test.com',
  'empresa.com',
  'seuemail.com',
]);
const JUNK_LOCAL_PARTS = new Set(['seuemail', 'seu.email', 'seu_email', 'fulano', 'fulano.de.tal', 'nome']);

/** The first plausible address in a message, lowercased and with common typos fixed, else null. */
export function extractEmail(text: string): string | null {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    const candidate = candidateAround(text, at);
    if (candidate === null) continue;
    const email = fixTypos(candidate.toLowerCase().replace(/[._%+'-]+$/, ''));
    if (isValidEmail(email)) return email;
  }
  return null;
}

/**
 * The address around one '@', read outwards with bounded lengths: a regex scanning for the local
 * part from every position would take quadratic time on a long run of letters.
 */
function candidateAround(text: string, at: number): string | null {
  let start = at;
  while (start > 0 && at - start <= MAX_LOCAL_PART && LOCAL_PART_CHAR.test(text.charAt(start - 1))) start--;
  const domain = DOMAIN_AFTER_AT.exec(text.slice(at + 1, at + 1 + MAX_ADDRESS));
  if (start === at || domain === null) return null;
  return text.slice(start, at + 1) + domain[0];
}

/** Shape only (no DNS): one '@', sane dots and hyphens, a letters-only TLD, not a placeholder. */
export function isValidEmail(input: string): boolean {
  const email = input.trim().toLowerCase();
  if (email.length > MAX_ADDRESS) return false;
  const parts = email.split('@');
  if (parts.length !== 2) return false;
  const [local = '', domain = ''] = parts;
  return isValidLocalPart(local) && isValidDomain(domain) && !isPlaceholder(local, domain);
}

function isValidLocalPart(local: string): boolean {
  if (local.length === 0 || local.length > MAX_LOCAL_PART) return false;
  if (!/^[a-z0-9._%+'-]+$/.test(local)) return false;
  return !local.startsWith('.') && !local.endsWith('.') && !local.includes('..');
}

function isValidDomain(domain: string): boolean {
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  const tld = labels.at(-1) ?? '';
  if (!/^[a-z]{2,24}$/.test(tld) || TLD_TYPOS.has(tld)) return false;
  return labels.every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label));
}

function isPlaceholder(local: string, domain: string): boolean {
  if (JUNK_DOMAINS.has(domain)) return true;
  if (JUNK_LOCAL_PARTS.has(local)) return true;
  // "xxx@", "aaaa@": a keyboard mash, not a mailbox.
  return local.length > 2 && /^(.)\1*$/.test(local);
}

function fixTypos(email: string): string {
  const at = email.lastIndexOf('@');
  if (at === -1) return email;
  const local = email.slice(0, at);
  const domain = PROVIDER_TYPOS[email.slice(at + 1)] ?? email.slice(at + 1);
  const labels = domain.split('.');
  const fixedLabels = labels.map((label, index) => (index > 0 && TLD_TYPOS.has(label) ? 'com' : label));
  return `${local}@${fixedLabels.join('.')}`;
}
