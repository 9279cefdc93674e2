import { z } from 'zod';

export const deadLetterListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  includeRequeued: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});

export const deadLetterParams = z.object({ id: z.coerce.number().int().positive() });

export const outboxListQuery = z.object({
  status: z.enum(['pending', 'sending', 'sent', 'failed', 'uncertain']).optional(),
  conversationId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const leadParams = z.object({ leadId: z.uuid() });

export const conversationActionParams = z.object({
  conversationId: z.uuid(),
  action: z.enum(['pause', 'resume']),
});
