/**
 * CNPJ (Brazilian company registry number): 8 digits of company, 4 of branch, 2 check digits
 * computed mod 11 (Receita Federal's published algorithm). We keep CNPJs as 14 bare digits and
 * format them only for people.
 */

const CNPJ_DIGITS = 14;
const FIRST_CHECK_WEIGHTS = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const SECOND_CHECK_WEIGHTS = [6, ...FIRST_CHECK_WEIGHTS];

/**
 * 14 digits as people type them: "12.345.678/0001-95", "12345678000195", or with spaces between
 * the groups. Not when the digits go on: a longer number is something else.
 */
const CNPJ_CANDIDATE = /(?<![\d.])\d{2}[.\s]?\d{3}[.\s]?\d{3}[\s/]?\d{4}[\s-]?\d{2}(?![\d])/g;

/** Only what people put around a CNPJ. */
const TYPED_CNPJ = /^[\d.\s/-]+$/;

export type CnpjCandidate = { digits: string; isValid: boolean };

/**
 * The first CNPJ in a message whose check digits are right, as 14 digits, else null. A typo
 * usually breaks the check digits, so a wrong number is not silently taken for a company.
 */
export function extractCnpj(text: string): string | null {
  return findCnpjCandidates(text).find((candidate) => candidate.isValid)?.digits ?? null;
}

/** Every 14-digit number shaped like a CNPJ, valid or not, so the agent can ask to re-check one. */
export function findCnpjCandidates(text: string): CnpjCandidate[] {
  return [...text.matchAll(CNPJ_CANDIDATE)].map((match) => {
    const digits = match[0].replace(/\D/g, '');
    return { digits, isValid: hasValidCheckDigits(digits) };
  });
}

export function isValidCnpj(input: string): boolean {
  const trimmed = input.trim();
  if (!TYPED_CNPJ.test(trimmed)) return false;
  return hasValidCheckDigits(trimmed.replace(/\D/g, ''));
}

/** "12.345.678/0001-95" from 14 digits (however punctuated); anything else comes back trimmed. */
export function formatCnpj(cnpj: string): string {
  const digits = cnpj.replace(/\D/g, '');
  if (digits.length !== CNPJ_DIGITS) return cnpj.trim();
  return `${digits.slice(0, 2)}.${digits.slice(2, 5)}.${digits.slice(5, 8)}/${digits.slice(8, 12)}-${digits.slice(12)}`;
}

/** The 14-digit CNPJ whose first 12 digits are `base` (company and branch): test data, samples. */
export function cnpjWithCheckDigits(base: string): string {
  if (!/^\d{12}$/.test(base)) throw new Error('a CNPJ base is 12 digits');
  const first = checkDigit(base, FIRST_CHECK_WEIGHTS);
  return `${base}${first}${checkDigit(base + first, SECOND_CHECK_WEIGHTS)}`;
}

/**
 * 00000000000000 and the like pass the mod-11 arithmetic but are not issued; they are what people
 * type to get past a form, so they are rejected.
 */
function hasValidCheckDigits(digits: string): boolean {
  if (!/^\d{14}$/.test(digits) || /^(\d)\1{13}$/.test(digits)) return false;
  const first = checkDigit(digits.slice(0, 12), FIRST_CHECK_WEIGHTS);
  const second = checkDigit(digits.slice(0, 12) + first, SECOND_CHECK_WEIGHTS);
  return digits.endsWith(`${first}${second}`);
}

function checkDigit(base: string, weights: readonly number[]): number {
  let sum = 0;
  for (let index = 0; index < weights.length; index++) {
    sum += Number(base.charAt(index)) * (weights[index] ?? 0);
  }
  const remainder = sum % 11;
  return remainder < 2 ? 0 : 11 - remainder;
}
