import { z } from 'zod';

/**
 * What Evolution API v2 posts to our webhook (contract §3.3–§3.5); the REST answers live in
 * schemas.ts. Loose objects with nullish fields: the record shape changes between builds and
 * Baileys' JSON carries many fields we do not read.
 */

const optionalText = z.string().nullish();
const flag = z.boolean().nullish();

/**
 * Unix seconds: a number, a string in older builds, or a protobuf Long `{low, high}` (§3.4).
 * `low` is read unsigned, as the Long's 32 low bits.
 */
export const evolutionTimestampSchema = z
  .union([
    z.number().nonnegative(),
    z.string().regex(/^\d+$/).transform(Number),
    z
      .looseObject({ low: z.number(), high: z.number() })
      .transform(({ low, high }) => high * 2 ** 32 + (low >>> 0)),
  ])
  // The last second a JS Date can hold: past it, seconds * 1000 is Infinity or an invalid date.
  .refine((seconds) => seconds <= 8.64e12, 'not a Unix time in seconds');

export const evolutionEnvelopeSchema = z.looseObject({
  event: z.string(),
  // The instance NAME: the account key (§3.3).
  instance: optionalText,
  data: z.unknown(),
});

// externalAdReply: click-to-WhatsApp ad metadata (Baileys ExternalAdReplyInfo, §3.4 "ads").
const contextInfoSchema = z.looseObject({ stanzaId: optionalText, externalAdReply: z.unknown().optional() });
const withContext = { contextInfo: contextInfoSchema.nullish() };

/** Baileys `proto.IMessage`: one content key, plus Evolution's base64/mediaUrl extras (§3.4). */
export const evolutionMessageContentSchema = z.looseObject({
  conversation: optionalText,
  // Folded into `conversation` from 2.2.0; older builds still send it (§3.4, [E10]).
  extendedTextMessage: z.looseObject({ text: optionalText, ...withContext }).nullish(),
  audioMessage: z
    .looseObject({ mimetype: optionalText, seconds: z.number().nullish(), ptt: flag, ...withContext })
    .nullish(),
  imageMessage: z.looseObject({ caption: optionalText, mimetype: optionalText, ...withContext }).nullish(),
  buttonsResponseMessage: z
    .looseObject({ selectedButtonId: optionalText, selectedDisplayText: optionalText, ...withContext })
    .nullish(),
  listResponseMessage: z.looseObject({ title: optionalText, ...withContext }).nullish(),
  templateButtonReplyMessage: z
    .looseObject({ selectedId: optionalText, selectedDisplayText: optionalText, ...withContext })
    .nullish(),
  reactionMessage: z.unknown().optional(),
  // Decrypted media, only with the webhook `base64` option on.
  base64: optionalText,
  // Only with S3/MinIO storage on; unlike audioMessage.url it is not the encrypted .enc blob.
  mediaUrl: optionalText,
});

export const evolutionUpsertSchema = z.looseObject({
  key: z.looseObject({
    remoteJid: z.string().min(1),
    fromMe: flag,
    id: z.string().min(1),
    participant: optionalText,
    // Baileys 7 (v2.3.x): the phone JID when remoteJid is a lid, or the lid when it is a phone.
    remoteJidAlt: optionalText,
  }),
  pushName: optionalText,
  message: evolutionMessageContentSchema.nullish(),
  messageType: optionalText,
  messageTimestamp: evolutionTimestampSchema,
  contextInfo: contextInfoSchema.nullish(),
});

/** A `messages.update` receipt; status is a name, or Baileys' number in some builds. */
export const evolutionUpdateSchema = z.looseObject({
  keyId: optionalText,
  key: z.looseObject({ id: optionalText }).nullish(),
  remoteJid: optionalText,
  fromMe: flag,
  status: z.union([z.string(), z.number()]),
});

export type EvolutionUpsert = z.infer<typeof evolutionUpsertSchema>;
export type EvolutionMessageContent = z.infer<typeof evolutionMessageContentSchema>;
