import type { Config } from '../../config.js';
import type { Logger } from '../../observability/logger.js';
import { createConsoleClient } from './console/client.js';
import { createEvolutionClient } from './evolution/client.js';
import { createMetaClient } from './meta/client.js';
import type { WhatsAppClient } from './types.js';
import { createZapiClient } from './zapi/client.js';

/** The configured provider's client; config.ts guarantees its credentials are present. */
export function createWhatsAppClient(
  whatsapp: Config['whatsapp'],
  log: Logger,
): WhatsAppClient & { close?: () => Promise<void> } {
  const timeoutMs = whatsapp.sendTimeoutMs;
  switch (whatsapp.provider) {
    case 'meta':
      return createMetaClient({
        graphUrl: whatsapp.meta.graphUrl,
        accessToken: whatsapp.meta.accessToken as string,
        phoneNumberId: whatsapp.meta.phoneNumberId as string,
        timeoutMs,
      });
    case 'zapi':
      return createZapiClient({
        baseUrl: whatsapp.zapi.baseUrl,
        instanceId: whatsapp.zapi.instanceId as string,
        token: whatsapp.zapi.token as string,
        clientToken: whatsapp.zapi.clientToken,
        timeoutMs,
      });
    case 'evolution':
      return createEvolutionClient({
        baseUrl: whatsapp.evolution.baseUrl as string,
        apiKey: whatsapp.evolution.apiKey as string,
        instance: whatsapp.evolution.instance as string,
        timeoutMs,
      });
    case 'console':
      return createConsoleClient(log);
  }
}
