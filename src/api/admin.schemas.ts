import { z } from 'zod';
import { decodeCursor } from '../services/admin-queries.service.js';
import { REQUEUE_ALL_MAX } from '../services/dead-letter.service.js';

export const deadLetterListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  includeRequeued: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});

export const deadLetterParams = z.object({ id: z.coerce.number().int().positive() });

export const leadParams = z.object({ leadId: z.uuid() });

export const conversationActionParams = z.object({
  conversationId: z.uuid(),
  action: z.enum(['pause', 'resume']),
});

const booleanFlag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** `?reveal=true` shows personal data unmasked; the access itself is audited. */
export const revealQuery = z.object({ reveal: booleanFlag.default(false) });

export const outboxListQuery = revealQuery.extend({
  status: z.enum(['pending', 'sending', 'sent', 'failed', 'uncertain', 'cancelled']).optional(),
  conversationId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const cursor = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    const position = decodeCursor(value);
    if (!position) {
      ctx.addIssue({
        code: 'custom',
        message: 'is not a cursor this API returned (pass nextCursor as given)',
      });
      return z.NEVER;
    }
    return position;
  });

const listQuery = revealQuery.extend({
  status: z.enum(['qualifying', 'qualified', 'handed_off', 'closed_cold']).optional(),
  temperature: z.enum(['quente', 'morno', 'frio']).optional(),
  updatedSince: z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: cursor.optional(),
});

export const conversationListQuery = listQuery.extend({ paused: booleanFlag.optional() });
export const leadListQuery = listQuery;

export const conversationParams = z.object({ conversationId: z.uuid() });

export const deadLetterRequeueAllBody = z.object({
  queue: z.string().trim().min(1).max(100),
  limit: z.coerce.number().int().min(1).max(REQUEUE_ALL_MAX).optional(),
});
