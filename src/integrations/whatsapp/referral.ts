import { z } from 'zod';
import type { AdReferral } from './types.js';

/**
 * Reads a click-to-WhatsApp referral wherever a provider puts it. Tolerant on purpose: the
 * referral only labels the lead's origin, so an odd one is dropped, never the message with it.
 */

// Ids arrive as strings in every sample; a number is taken too rather than lose the referral.
const field = z
  .union([z.string(), z.number()])
  .nullish()
  .catch(undefined)
  .transform((value) => (value === undefined || value === null ? null : String(value).trim() || null));

/** Meta `messages[].referral` (contract §1.3): snake_case. */
const metaReferralSchema = z.looseObject({
  source_type: field,
  source_id: field,
  source_url: field,
  headline: field,
  ctwa_clid: field,
});

/** Baileys `ExternalAdReplyInfo` as Z-API (top level) and Evolution (`contextInfo`) pass it on. */
const externalAdReplySchema = z.looseObject({
  sourceType: field,
  sourceId: field,
  sourceUrl: field,
  title: field,
  ctwaClid: field,
});

// A referral that names nothing (`{}`, only layout flags) says nothing about an ad.
function meaningful(referral: AdReferral): AdReferral | undefined {
  const { sourceType: _type, ...named } = referral;
  return Object.values(named).some((value) => value !== null) ? referral : undefined;
}

export function readMetaReferral(raw: unknown): AdReferral | undefined {
  // Most messages carry none: a failed parse builds its issues, a cost on every webhook.
  if (raw === undefined || raw === null) return undefined;
  const parsed = metaReferralSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { source_type, source_id, source_url, headline, ctwa_clid } = parsed.data;
  return meaningful({
    sourceType: source_type,
    sourceId: source_id,
    sourceUrl: source_url,
    headline,
    ctwaClid: ctwa_clid,
  });
}

export function readExternalAdReply(raw: unknown): AdReferral | undefined {
  if (raw === undefined || raw === null) return undefined;
  const parsed = externalAdReplySchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { sourceType, sourceId, sourceUrl, title, ctwaClid } = parsed.data;
  return meaningful({ sourceType, sourceId, sourceUrl, headline: title, ctwaClid });
}

/** `{ referral }` when there is one, `{}` otherwise: messages without an ad keep their shape. */
export function withReferral(referral: AdReferral | undefined): { referral?: AdReferral } {
  return referral ? { referral } : {};
}
