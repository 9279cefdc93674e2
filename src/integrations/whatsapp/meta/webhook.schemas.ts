import { z } from 'zod';

/**
 * What Meta's `messages` webhook sends (contract §1.2–§1.4); the Graph API's responses live in
 * schemas.ts. Every object is loose: Meta adds fields (BSUIDs, usernames, pricing) without
 * notice. Each level is parsed on its own so one odd item costs that item, not the whole batch.
 */

/** The last second a JS Date can hold (8.64e15 ms): past it, the ms time is Infinity or invalid. */
const MAX_DATE_SECONDS = 8.64e12;

/** Unix seconds, documented as a string; a number is accepted too. */
export const unixSecondsSchema = z
  .union([z.string().regex(/^\d+$/), z.number().int().nonnegative()])
  .refine((seconds) => Number(seconds) <= MAX_DATE_SECONDS, 'not a Unix time in seconds');

export const metaEnvelopeSchema = z.looseObject({
  object: z.string().optional(),
  entry: z.array(z.unknown()),
});

export const metaEntrySchema = z.looseObject({
  id: z.string().optional(),
  changes: z.array(z.unknown()),
});

export const metaChangeSchema = z.looseObject({
  field: z.string(),
  value: z.unknown(),
});

export const metaContactSchema = z.looseObject({
  profile: z.looseObject({ name: z.string().optional() }).optional(),
  // Empty for users who adopted a username (BSUID, §1.2).
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
});

export const metaMessagesValueSchema = z.looseObject({
  metadata: z.looseObject({
    phone_number_id: z.string(),
    display_phone_number: z.string().optional(),
  }),
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(z.unknown()).optional(),
});

const mediaFields = {
  id: z.string(),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  // Rolled out from 2025-11-12, so often absent; needs the Bearer token when present (§1.7).
  url: z.string().optional(),
};

const replySchema = z.looseObject({ id: z.string().optional(), title: z.string() });

export const metaMessageSchema = z.looseObject({
  // '' (or absent) for BSUID users; then from_user_id is the only sender id (§1.2).
  from: z.string().optional(),
  from_user_id: z.string().optional(),
  id: z.string().min(1),
  timestamp: unixSecondsSchema,
  type: z.string(),
  group_id: z.string().optional(),
  context: z.looseObject({ id: z.string().optional(), from: z.string().optional() }).optional(),
  text: z.looseObject({ body: z.string() }).optional(),
  audio: z.looseObject({ ...mediaFields, voice: z.boolean().optional() }).optional(),
  image: z.looseObject({ ...mediaFields, caption: z.string().optional() }).optional(),
  interactive: z
    .looseObject({
      type: z.string(),
      button_reply: replySchema.optional(),
      list_reply: replySchema.optional(),
    })
    .optional(),
  // A template's quick-reply button (§1.3, [M17]).
  button: z.looseObject({ payload: z.string().optional(), text: z.string() }).optional(),
  // Click-to-WhatsApp ad metadata (§1.3); read apart so an odd one never costs the message.
  referral: z.unknown().optional(),
});

export const metaWebhookErrorSchema = z.looseObject({
  code: z.union([z.number(), z.string()]),
  title: z.string().optional(),
  message: z.string().optional(),
});

export const metaStatusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  timestamp: unixSecondsSchema,
  recipient_id: z.string().optional(),
  biz_opaque_callback_data: z.string().optional(),
  errors: z.array(metaWebhookErrorSchema).optional(),
});

export type MetaContact = z.infer<typeof metaContactSchema>;
export type MetaMessage = z.infer<typeof metaMessageSchema>;
export type MetaStatus = z.infer<typeof metaStatusSchema>;
export type MetaWebhookError = z.infer<typeof metaWebhookErrorSchema>;
export type MetaMessagesValue = z.infer<typeof metaMessagesValueSchema>;
