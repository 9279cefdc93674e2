/**
 * The lead profile the SDR agent fills during a conversation (plano §4.5, §6.5): who the lead is,
 * their company, and what they need. Every slot starts null and is filled from the lead's own
 * words or the LLM's reading of them.
 */
import { z } from 'zod';
import { isValidCnpj } from './extractors/cnpj.js';
import { isValidEmail } from './extractors/email.js';
import { UF_CODES } from './extractors/places.js';

export const SLOT_NAMES = [
  'name',
  'company',
  'cnpj',
  'city',
  'uf',
  'email',
  'phone',
  'product',
  'application',
  'volume',
  'urgency',
] as const;
export type SlotName = (typeof SLOT_NAMES)[number];

export const URGENCIES = ['imediata', 'ate_3_meses', 'ate_6_meses', 'sem_previsao'] as const;
export const UrgencySchema = z.enum(URGENCIES);
export type Urgency = z.infer<typeof UrgencySchema>;

/** LLMs and forms send "" or "  " for "unknown"; that is null here, never an empty slot. */
function blankToNull(value: unknown): unknown {
  return typeof value === 'string' && value.trim() === '' ? null : value;
}

const textSlot = z.preprocess(blankToNull, z.string().trim().min(1).nullable());

export const LeadSlotsSchema = z.object({
  name: textSlot,
  company: textSlot,
  /** As given; isValidCnpj tells a checked one (mergeSlots and missingSlots rely on it). */
  cnpj: textSlot,
  city: textSlot,
  uf: z.preprocess(
    (value) => (typeof value === 'string' ? blankToNull(value.trim().toUpperCase()) : value),
    z.enum(UF_CODES).nullable(),
  ),
  email: textSlot,
  /** E.164 digits without '+', as normalizePhone gives them. */
  phone: textSlot,
  product: textSlot,
  application: textSlot,
  /** As the lead said it ("2 mil frascos/hora"): units and periods vary too much to normalise. */
  volume: textSlot,
  urgency: z.preprocess(blankToNull, UrgencySchema.nullable()),
});
export type LeadSlots = z.infer<typeof LeadSlotsSchema>;

export const LeadSlotsUpdateSchema = LeadSlotsSchema.partial();
export type LeadSlotsUpdate = Partial<LeadSlots>;

export const SLOT_LABELS_PT: Readonly<Record<SlotName, string>> = {
  name: 'Nome',
  company: 'Empresa',
  cnpj: 'CNPJ',
  city: 'Cidade',
  uf: 'UF',
  email: 'E-mail',
  phone: 'Telefone',
  product: 'Produto de interesse',
  application: 'Aplicação',
  volume: 'Volume de produção',
  urgency: 'Urgência',
};

export const URGENCY_LABELS_PT: Readonly<Record<Urgency, string>> = {
  imediata: 'Imediata',
  ate_3_meses: 'Até 3 meses',
  ate_6_meses: 'Até 6 meses',
  sem_previsao: 'Sem previsão',
};

/**
 * The order the SDR asks in, a product decision: rapport first (name, company), then the need
 * (product, application, volume, urgency), which is what qualifies the lead, and only then
 * contact and registry data (city/UF, e-mail, CNPJ), which people give more willingly once the
 * conversation is worth their time. The phone is not asked: WhatsApp already gives it.
 */
export const ASK_ORDER: readonly SlotName[] = [
  'name',
  'company',
  'product',
  'application',
  'volume',
  'urgency',
  'city',
  'uf',
  'email',
  'cnpj',
];

export function emptySlots(): LeadSlots {
  return {
    name: null,
    company: null,
    cnpj: null,
    city: null,
    uf: null,
    email: null,
    phone: null,
    product: null,
    application: null,
    volume: null,
    urgency: null,
  };
}

/**
 * Non-null updates win (the lead corrected themselves, or the LLM read more), except that a
 * CNPJ or e-mail that passed validation is never replaced by one that does not: a typo in a
 * later message must not undo a good value. A valid CNPJ is stored as 14 digits, an e-mail in
 * lowercase.
 */
export function mergeSlots(current: LeadSlots, update: LeadSlotsUpdate): LeadSlots {
  const merged: LeadSlots = { ...current };
  for (const slot of SLOT_NAMES) mergeSlot(merged, update, slot);
  return merged;
}

/** Slots still to ask, in ASK_ORDER. An invalid CNPJ or e-mail counts as missing: ask again. */
export function missingSlots(slots: LeadSlots): SlotName[] {
  return ASK_ORDER.filter((slot) => !isFilled(slots, slot));
}

export function isFilled(slots: LeadSlots, slot: SlotName): boolean {
  const value = slots[slot];
  if (value === null) return false;
  if (slot === 'cnpj') return isValidCnpj(value);
  if (slot === 'email') return isValidEmail(value);
  return true;
}

function mergeSlot<K extends SlotName>(merged: LeadSlots, update: LeadSlotsUpdate, slot: K): void {
  const incoming = update[slot];
  if (incoming === undefined || incoming === null || incoming.trim() === '') return;
  if (slot === 'cnpj') {
    merged.cnpj = pickChecked(merged.cnpj, incoming, isValidCnpj, (cnpj) => cnpj.replace(/\D/g, ''));
  } else if (slot === 'email') {
    merged.email = pickChecked(merged.email, incoming, isValidEmail, (email) => email.trim().toLowerCase());
  } else {
    merged[slot] = incoming;
  }
}

function pickChecked(
  current: string | null,
  incoming: string,
  isValid: (value: string) => boolean,
  canonical: (value: string) => string,
): string {
  if (isValid(incoming)) return canonical(incoming);
  return current !== null && isValid(current) ? current : incoming.trim();
}
