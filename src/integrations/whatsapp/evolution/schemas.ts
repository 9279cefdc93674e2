import { z } from 'zod';

/**
 * Evolution API v2 answers we read (shared/contracts/whatsapp.md §3.1, §3.4). Loose objects:
 * the record shape changes between builds (2.2 folded extendedTextMessage into conversation,
 * older builds send a string messageTimestamp), and only `key.id` matters for a send.
 */

/** §3.1: 201 with the stored message record, `{key: {remoteJid, fromMe, id}, …}`. */
export const evolutionSendResponseSchema = z.looseObject({
  key: z.looseObject({ id: z.string().min(1) }),
});

/** §3.4 (b): 201 `{mediaType, fileName, caption?, size, mimetype, base64, buffer: null}`. */
export const evolutionMediaResponseSchema = z.looseObject({
  base64: z.string().min(1),
  mimetype: z.string().nullish(),
  mediaType: z.string().nullish(),
});

/** One entry of a not-on-WhatsApp answer: `[{exists: false, jid, number, …}]` (§3.1). */
export const evolutionNumberCheckSchema = z.looseObject({ exists: z.boolean() });

/** §3.1: `{status, error, response: {message: any}}`; `message` is a string, strings or objects. */
export const evolutionErrorSchema = z.looseObject({
  status: z.coerce.number().optional(),
  error: z.string().optional(),
  response: z.looseObject({ message: z.unknown() }).optional(),
});
