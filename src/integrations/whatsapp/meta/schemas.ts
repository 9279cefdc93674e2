import { z } from 'zod';

/**
 * Meta Graph API answers we read (shared/contracts/whatsapp.md §1.5, §1.7, §1.8); webhook
 * bodies live in webhook.schemas.ts. Loose objects: Meta adds fields without notice (§1.2),
 * and only the ones named here matter to us.
 */

/** §1.5: `{messaging_product, contacts:[{input, wa_id}], messages:[{id, message_status?}]}`. */
export const metaSendResponseSchema = z.looseObject({
  messages: z.array(z.looseObject({ id: z.string().min(1) })).min(1),
});

/** §1.7 step 1: `{messaging_product, url, mime_type, sha256, file_size, id}`. */
export const metaMediaInfoSchema = z.looseObject({
  url: z.string().min(1),
  mime_type: z.string().optional(),
  file_size: z.coerce.number().optional(),
});

/** §1.8: `{error: {message, type, code, error_subcode?, error_data?: {details}, fbtrace_id}}`. */
export const metaErrorSchema = z.looseObject({
  error: z.looseObject({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.coerce.number().optional(),
    error_subcode: z.coerce.number().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});

export type MetaError = z.infer<typeof metaErrorSchema>['error'];
