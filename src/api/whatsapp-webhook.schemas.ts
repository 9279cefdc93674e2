import { z } from 'zod';

export const providerParams = z.object({ provider: z.string() });

export const metaHandshakeQuery = z.object({
  'hub.mode': z.string().optional(),
  'hub.verify_token': z.string().optional(),
  'hub.challenge': z.string().optional(),
});
