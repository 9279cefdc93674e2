import { z } from 'zod';

export const consoleMessageSchema = z.object({
  from: z.string().min(8).max(40),
  text: z.string().min(1).max(4096),
  name: z.string().max(120).optional(),
  messageId: z.string().min(1).max(128).optional(),
});
