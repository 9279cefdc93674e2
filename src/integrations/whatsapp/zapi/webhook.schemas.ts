import { z } from 'zod';

/**
 * What Z-API posts to our webhook (contract §2.4, §2.5); the REST answers live in schemas.ts.
 * Loose objects with nullish fields: Z-API sends `null` for absent values, its docs table and
 * examples disagree on details, and white-label resellers add fields.
 */

/** Epoch ms as a number; the status docs call it a string, so digits in a string pass too. */
const epochMsSchema = z
  .union([z.number().nonnegative(), z.string().regex(/^\d+$/).transform(Number)])
  // A JS Date holds at most 8.64e15 ms; a later "time" is an invalid date downstream.
  .refine((ms) => ms <= 8.64e15, 'not an epoch time in milliseconds');

export const zapiEnvelopeSchema = z.looseObject({
  type: z.string(),
  instanceId: z.string().nullish(),
});

const flag = z.boolean().nullish();
const optionalText = z.string().nullish();

export const zapiReceivedSchema = z.looseObject({
  instanceId: z.string().min(1),
  messageId: z.string().min(1),
  phone: z.string().min(1),
  fromMe: flag,
  momment: epochMsSchema.optional(),
  // Some doc examples (polls) spell it with one m.
  moment: epochMsSchema.optional(),
  isGroup: flag,
  isNewsletter: flag,
  broadcast: flag,
  isStatusReply: flag,
  waitingMessage: flag,
  senderName: optionalText,
  chatLid: optionalText,
  senderLid: optionalText,
  referenceMessageId: optionalText,
  notification: optionalText,
  text: z.looseObject({ message: optionalText }).nullish(),
  audio: z
    .looseObject({
      ptt: flag,
      seconds: z.number().nullish(),
      audioUrl: optionalText,
      mimeType: optionalText,
    })
    .nullish(),
  image: z.looseObject({ imageUrl: optionalText, caption: optionalText, mimeType: optionalText }).nullish(),
  buttonsResponseMessage: z.looseObject({ buttonId: optionalText, message: optionalText }).nullish(),
  listResponseMessage: z
    .looseObject({ message: optionalText, title: optionalText, selectedRowId: optionalText })
    .nullish(),
  reaction: z.unknown().optional(),
  // Click-to-WhatsApp ad metadata, top level (Z-API's "texto vindo de anúncio" example).
  externalAdReply: z.unknown().optional(),
});

/** The docs table says `id`, the examples send an `ids` array (§2.5); accept both. */
export const zapiMessageStatusSchema = z.looseObject({
  instanceId: z.string().min(1),
  status: z.string(),
  ids: z.array(z.string()).nullish(),
  id: optionalText,
  momment: epochMsSchema.optional(),
});

export const zapiDeliverySchema = z.looseObject({
  instanceId: z.string().min(1),
  messageId: z.string().min(1),
  momment: epochMsSchema.optional(),
});

export type ZapiReceived = z.infer<typeof zapiReceivedSchema>;
