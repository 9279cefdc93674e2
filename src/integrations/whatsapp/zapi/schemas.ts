import { z } from 'zod';

/**
 * Z-API answers we read (shared/contracts/whatsapp.md §2.1). Loose objects: Z-API documents
 * only part of its bodies (the `id` field appears only in the Portuguese docs).
 */

/** §2.1: 200 `{zaapId, messageId, id}`; `id` equals `messageId` (Zapier compatibility). */
export const zapiSendResponseSchema = z.looseObject({
  zaapId: z.string().optional(),
  messageId: z.string().min(1).optional(),
  id: z.string().min(1).optional(),
});

/**
 * Error bodies are `{error: string}` (e.g. `{"error": "null not allowed"}` for a missing
 * Client-Token, §2.1), sometimes with a `message`. Statuses are not documented.
 */
export const zapiErrorSchema = z.looseObject({
  error: z.string().optional(),
  message: z.string().optional(),
});
