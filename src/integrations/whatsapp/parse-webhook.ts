import { storable } from '../../domain/storable-text.js';
import { parseConsoleWebhook } from './console/parse.js';
import { parseEvolutionWebhook } from './evolution/parse.js';
import { parseMetaWebhook } from './meta/parse.js';
import type { ParsedWebhook, WhatsAppProviderName } from './types.js';
import { parseZapiWebhook } from './zapi/parse.js';

const PARSERS: Record<WhatsAppProviderName, (body: unknown) => ParsedWebhook> = {
  meta: parseMetaWebhook,
  zapi: (body) => parseZapiWebhook(body),
  evolution: (body) => parseEvolutionWebhook(body),
  console: (body) => parseConsoleWebhook(body),
};

/**
 * Normalizes a webhook body of any provider; never throws on unexpected shapes. A stray NUL or
 * half an emoji in what the lead typed becomes U+FFFD: the message is answered, not refused.
 */
export function parseWebhook(provider: WhatsAppProviderName, body: unknown): ParsedWebhook {
  return storable(PARSERS[provider](body));
}
