import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.js';

const ONE_MINUTE_MS = 60_000;
const NO_HEADERS_UNDER_LIMIT = {
  'x-ratelimit-limit': false,
  'x-ratelimit-remaining': false,
  'x-ratelimit-reset': false,
} as const;

/**
 * Limits the routes registered in `scope` (an encapsulated plugin) to `perMinute` requests per
 * client IP, one count shared by all of them; 0 leaves them unlimited. Counts live in memory,
 * per instance: a limit against floods, not a quota. Checked in onRequest, before a body is read.
 *
 * A scope hook, not the plugin's per-route one: route hooks run after the routes' own onRequest
 * hooks, so the admin API's token check would refuse a guessing client before it was counted.
 */
export async function limitRequestsPerMinute(scope: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute === 0) return;
  await scope.register(rateLimit, {
    global: false,
    max: perMinute,
    timeWindow: ONE_MINUTE_MS,
    // The webhook is the hot path: headers only on the 429 (with Retry-After), none on every 200.
    addHeadersOnExceeding: NO_HEADERS_UNDER_LIMIT,
    // Thrown, so the error handler answers it like any refusal: JSON body, one warning line.
    errorResponseBuilder: (_request, context) =>
      errors.rateLimited(perMinute, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  scope.addHook('onRequest', scope.rateLimit());
}
