/**
 * Everything the rule-based extractors can read from one lead message. Only what was found is
 * returned, ready for mergeSlots; the LLM's reading is merged the same way.
 */
import { type LeadSlots, type LeadSlotsUpdate, SLOT_NAMES, type SlotName } from '../slots.js';
import { extractCnpj } from './cnpj.js';
import { extractCompany } from './company.js';
import { extractEmail } from './email.js';
import { extractLocation } from './location.js';
import { extractName } from './name.js';
import {
  DEFAULT_PRODUCT_KEYWORDS,
  extractApplication,
  extractProduct,
  extractUrgency,
  extractVolume,
  type ProductCatalogue,
} from './needs.js';
import { extractPhone } from './phone.js';

export function extractSlots(
  text: string,
  catalogue: ProductCatalogue = DEFAULT_PRODUCT_KEYWORDS,
): LeadSlotsUpdate {
  const { city, uf } = extractLocation(text);
  const found: LeadSlots = {
    name: extractName(text),
    company: extractCompany(text),
    cnpj: extractCnpj(text),
    city,
    uf,
    email: extractEmail(text),
    phone: extractPhone(text),
    product: extractProduct(text, catalogue),
    application: extractApplication(text),
    volume: extractVolume(text),
    urgency: extractUrgency(text),
  };
  const present: LeadSlotsUpdate = {};
  for (const slot of SLOT_NAMES) copyIfPresent(present, found, slot);
  return present;
}

function copyIfPresent<K extends SlotName>(target: LeadSlotsUpdate, source: LeadSlots, slot: K): void {
  const value = source[slot];
  if (value !== null) target[slot] = value;
}
