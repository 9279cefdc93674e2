import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../observability/metrics.js';
import type { ReadinessCheck } from '../services/readiness.service.js';

type Options = { readiness: ReadinessCheck; metrics: Pick<Metrics, 'ready'> };

export const healthRoutes: FastifyPluginAsync<Options> = async (app, { readiness, metrics }) => {
  // Liveness says only that the process answers; dependencies belong to readiness.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({
    status: 'ok',
    uptimeSeconds: Math.round(process.uptime()),
  }));

  app.get('/readyz', { logLevel: 'warn' }, async (request, reply) => {
    const result = await readiness.check();
    metrics.ready.set(result.ready ? 1 : 0);
    if (!result.ready) request.log.warn({ checks: result.checks }, 'not ready');
    return reply
      .status(result.ready ? 200 : 503)
      .send({ status: result.ready ? 'ready' : 'not_ready', ...result });
  });
};
