import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import { safeEqual } from '../domain/safe-equal.js';
import { errors } from '../errors.js';
import { parseWebhook } from '../integrations/whatsapp/parse-webhook.js';
import { WHATSAPP_PROVIDER_NAMES, type WhatsAppProviderName } from '../integrations/whatsapp/types.js';
import type { IngestService } from '../services/ingest.service.js';
import { authenticateWebhook } from './whatsapp-auth.js';
import { metaHandshakeQuery, providerParams } from './whatsapp-webhook.schemas.js';

type Options = { config: Pick<Config, 'whatsapp' | 'adminToken'>; ingest: IngestService };

function isProvider(name: string): name is WhatsAppProviderName {
  return (WHATSAPP_PROVIDER_NAMES as readonly string[]).includes(name);
}

function parseJson(raw: Buffer): { text: string; value: unknown } {
  const text = raw.toString('utf8');
  try {
    return { text, value: JSON.parse(text) };
  } catch {
    throw errors.badRequestJson();
  }
}

/** POST /webhooks/whatsapp/:provider and Meta's GET verification handshake. */
export const whatsappWebhookRoutes: FastifyPluginAsync<Options> = async (app, { config, ingest }) => {
  // Keep the raw bytes: Meta's signature is over them, never over a re-serialised body.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  app.get('/webhooks/whatsapp/meta', async (request, reply) => {
    const query = metaHandshakeQuery.parse(request.query);
    const expected = config.whatsapp.meta.verifyToken;
    if (!expected) throw errors.providerNotConfigured('meta', 'META_VERIFY_TOKEN');
    const token = query['hub.verify_token'] ?? '';
    if (query['hub.mode'] !== 'subscribe' || !safeEqual(token, expected)) {
      request.log.warn('Meta verification handshake refused: wrong hub.verify_token or hub.mode');
      return reply.status(403).send({
        code: 'UNAUTHORIZED',
        message: 'hub.verify_token does not match META_VERIFY_TOKEN',
        requestId: request.id,
      });
    }
    return reply.type('text/plain').send(query['hub.challenge'] ?? '');
  });

  app.post('/webhooks/whatsapp/:provider', async (request) => {
    const { provider } = providerParams.parse(request.params);
    if (!isProvider(provider)) throw errors.providerUnknown(provider, WHATSAPP_PROVIDER_NAMES);
    if (!Buffer.isBuffer(request.body)) throw errors.badRequest('send the webhook body as application/json');
    authenticateWebhook(provider, request, request.body, config);
    const body = parseJson(request.body);
    const parsed = parseWebhook(provider, body.value);
    // The body is stored as received: its text is already JSON, no need to serialise it again.
    const summary = await ingest.accept(provider, parsed, body.text, request.id, request.log);
    return { status: 'accepted', ...summary };
  });
};
