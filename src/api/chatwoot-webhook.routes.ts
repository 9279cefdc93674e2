import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Config } from '../config.js';
import { safeEqual } from '../domain/safe-equal.js';
import { errors } from '../errors.js';
import { isValidChatwootSignature, parseChatwootWebhook } from '../integrations/chatwoot/webhook.js';
import type { Metrics } from '../observability/metrics.js';
import type { ChatwootEvents } from '../services/chatwoot-events.service.js';

type Options = {
  config: Pick<Config, 'chatwoot'>;
  events: Pick<ChatwootEvents, 'accept' | 'run'>;
  metrics: Pick<Metrics, 'webhookEvents'>;
};

const tokenQuery = z.object({ token: z.string().max(512).optional() });

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * POST /webhooks/chatwoot?token=…: authenticated by CHATWOOT_WEBHOOK_TOKEN (and the HMAC
 * signature when CHATWOOT_WEBHOOK_SECRET is set), stored once and applied at once (database
 * work only), well inside the 5 s after which Chatwoot opens the conversation itself.
 */
export const chatwootWebhookRoutes: FastifyPluginAsync<Options> = async (
  app,
  { config, events, metrics },
) => {
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  app.post('/webhooks/chatwoot', async (request) => {
    const { webhookToken, webhookSecret } = config.chatwoot;
    if (!webhookToken) throw errors.providerNotConfigured('chatwoot', 'CHATWOOT_WEBHOOK_TOKEN');
    const { token } = tokenQuery.parse(request.query);
    if (!token || !safeEqual(token, webhookToken)) {
      throw errors.unauthorized('missing or wrong ?token=: it must equal CHATWOOT_WEBHOOK_TOKEN');
    }
    if (!Buffer.isBuffer(request.body)) throw errors.badRequest('send the webhook body as application/json');
    if (
      webhookSecret &&
      !isValidChatwootSignature({
        secret: webhookSecret,
        rawBody: request.body,
        timestamp: header(request.headers['x-chatwoot-timestamp']),
        signature: header(request.headers['x-chatwoot-signature']),
      })
    ) {
      throw errors.signatureInvalid(
        'chatwoot',
        'X-Chatwoot-Signature does not match CHATWOOT_WEBHOOK_SECRET (or is stale)',
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      throw errors.badRequestJson();
    }
    const { event, deliveryKey, parsed } = parseChatwootWebhook(
      body,
      header(request.headers['x-chatwoot-delivery']),
    );
    const { outcome, eventId } = await events.accept(deliveryKey, event, parsed, request.id);
    request.log.info({ event, outcome }, 'Chatwoot webhook');
    metrics.webhookEvents.inc({ provider: 'chatwoot', outcome });
    // A takeover must hold before the bot's next send: apply it now (milliseconds of database
    // work); if that fails, the queued job applies it.
    if (eventId !== undefined) {
      await events.run({ eventId }, request.log).catch((err: unknown) => {
        request.log.warn({ err, eventId }, 'Chatwoot event not applied inline: its queue job will retry');
      });
    }
    return { status: outcome };
  });
};
