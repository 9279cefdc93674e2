import type { FastifyRequest } from 'fastify';
import { WHATSAPP_PROVIDER_NAMES } from '../integrations/whatsapp/types.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * Webhook deliveries we refuse (bad signature or token, malformed or oversized body, rate limit)
 * never reach the services that count webhook events: the error handler counts them here, once
 * per request, as outcome "rejected".
 */
function providerOf(request: FastifyRequest): string | undefined {
  if (request.method !== 'POST') return undefined;
  const route = request.routeOptions.url;
  if (route === '/webhooks/chatwoot') return 'chatwoot';
  if (route !== '/webhooks/whatsapp/:provider') return undefined;
  // The path segment is the caller's to choose: only known names become label values.
  const { provider } = request.params as { provider?: string };
  return provider && (WHATSAPP_PROVIDER_NAMES as readonly string[]).includes(provider) ? provider : 'unknown';
}

export function countRejectedWebhook(metrics: Pick<Metrics, 'webhookEvents'>) {
  return (request: FastifyRequest): void => {
    const provider = providerOf(request);
    if (provider) metrics.webhookEvents.inc({ provider, outcome: 'rejected' });
  };
}
