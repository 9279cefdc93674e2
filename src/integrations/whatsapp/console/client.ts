import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../observability/logger.js';
import type { WhatsAppClient } from '../types.js';

/**
 * The default provider for local runs: replies are logged (and, like every reply, kept in the
 * outbox and messages tables) instead of going to WhatsApp.
 */
export function createConsoleClient(log: Logger): WhatsAppClient {
  return {
    provider: 'console',
    maxTextLength: 4096,
    async sendText({ to, text }) {
      const providerMessageId = `console-${randomUUID()}`;
      log.info({ provider: 'console', to, providerMessageId, reply: text }, 'reply (console provider)');
      return { providerMessageId };
    },
    async fetchMedia() {
      throw new Error('the console provider has no media');
    },
  };
}
