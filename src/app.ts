import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { adminRoutes } from './api/admin.routes.js';
import { chatwootWebhookRoutes } from './api/chatwoot-webhook.routes.js';
import { installErrorHandler } from './api/error-handler.js';
import { healthRoutes } from './api/health.routes.js';
import { metricsRoutes } from './api/metrics.routes.js';
import { limitRequestsPerMinute } from './api/rate-limit.js';
import { addSecurityHeaders } from './api/security-headers.js';
import { countRejectedWebhook } from './api/webhook-rejections.js';
import { whatsappWebhookRoutes } from './api/whatsapp-webhook.routes.js';
import type { Config } from './config.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { AdminQueries } from './services/admin-queries.service.js';
import type { ChatwootEvents } from './services/chatwoot-events.service.js';
import type { ConversationControl } from './services/conversation-control.service.js';
import type { CrmSync } from './services/crm-sync.service.js';
import type { DeadLetterService } from './services/dead-letter.service.js';
import type { IngestService } from './services/ingest.service.js';
import type { ReadinessCheck } from './services/readiness.service.js';

export type AppDeps = {
  config: Pick<Config, 'adminToken' | 'metricsEnabled' | 'whatsapp' | 'chatwoot' | 'rateLimit'>;
  log: Logger;
  metrics: Metrics;
  readiness: ReadinessCheck;
  deadLetters: DeadLetterService;
  ingest: IngestService;
  crmSync: Pick<CrmSync, 'status' | 'rerun'>;
  control: Pick<ConversationControl, 'operatorChange'>;
  adminQueries: AdminQueries;
  chatwootEvents: Pick<ChatwootEvents, 'accept' | 'run'>;
};

const REQUEST_ID_HEADER = 'x-request-id';
// Accept the caller's correlation id only when it cannot smuggle anything into a log line.
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is wider than Fastify's logger interface; the cast keeps Fastify's default generics.
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (req) => {
      const given = req.headers[REQUEST_ID_HEADER];
      return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpRequestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  installErrorHandler(app, { onClientError: countRejectedWebhook(deps.metrics) });
  // Operator endpoints get security headers; the webhooks do not (see security-headers.ts).
  await app.register(async (operator) => {
    await addSecurityHeaders(operator);
    await operator.register(healthRoutes, { readiness: deps.readiness, metrics: deps.metrics });
    if (deps.config.metricsEnabled) await operator.register(metricsRoutes, { metrics: deps.metrics });
    await operator.register(async (admin) => {
      await limitRequestsPerMinute(admin, deps.config.rateLimit.adminPerMinute);
      await admin.register(adminRoutes, {
        adminToken: deps.config.adminToken,
        deadLetters: deps.deadLetters,
        crmSync: deps.crmSync,
        control: deps.control,
        queries: deps.adminQueries,
      });
    });
  });
  await app.register(async (webhooks) => {
    await limitRequestsPerMinute(webhooks, deps.config.rateLimit.webhookPerMinute);
    await webhooks.register(chatwootWebhookRoutes, {
      config: deps.config,
      events: deps.chatwootEvents,
      metrics: deps.metrics,
    });
    await webhooks.register(whatsappWebhookRoutes, { config: deps.config, ingest: deps.ingest });
  });
  return app;
}
