import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Helmet's headers on the routes registered in `scope`. The API serves JSON and text only, so the
 * content security policy forbids everything a browser could load or frame.
 *
 * Not on the webhooks: their callers are the providers' servers, which ignore these headers, and
 * @fastify/helmet 13 rebuilds helmet's middleware on every request (about 16 µs measured), a
 * cost the webhook's throughput budget has no room for.
 */
export async function addSecurityHeaders(scope: FastifyInstance): Promise<void> {
  await scope.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
  });
}
