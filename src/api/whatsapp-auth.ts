import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { safeEqual } from '../domain/safe-equal.js';
import { errors } from '../errors.js';
import { verifyMetaSignature } from '../integrations/whatsapp/meta/signature.js';
import type { WhatsAppProviderName } from '../integrations/whatsapp/types.js';

/**
 * How each provider's webhook proves it is the provider (DESIGN.md step 1): Meta signs the raw
 * body; Z-API and Evolution sign nothing, so the operator puts a shared secret in the URL they
 * configure (`?token=`), or Evolution sends it as `Authorization: Bearer` via its custom headers.
 * The console provider (local runs) takes ADMIN_TOKEN, or loopback callers when that is unset.
 */
type Secrets = Pick<Config, 'whatsapp' | 'adminToken'>;

function queryToken(request: FastifyRequest): string | undefined {
  const token = (request.query as Record<string, unknown>).token;
  return typeof token === 'string' ? token : undefined;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

function requireSharedSecret(
  provider: string,
  variable: string,
  secret: string | undefined,
  given: (string | undefined)[],
) {
  if (!secret) throw errors.providerNotConfigured(provider, variable);
  if (!given.some((token) => token !== undefined && safeEqual(token, secret))) {
    throw errors.signatureInvalid(provider, `missing or wrong webhook secret (${variable})`);
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function authenticateMeta(request: FastifyRequest, rawBody: Buffer, appSecret: string | undefined): void {
  if (!appSecret) throw errors.providerNotConfigured('meta', 'META_APP_SECRET');
  const header = request.headers['x-hub-signature-256'];
  if (typeof header !== 'string') throw errors.signatureInvalid('meta', 'missing X-Hub-Signature-256 header');
  if (!verifyMetaSignature(rawBody, header, appSecret)) {
    throw errors.signatureInvalid(
      'meta',
      'X-Hub-Signature-256 does not match the body (check META_APP_SECRET)',
    );
  }
}

function authenticateConsole(request: FastifyRequest, adminToken: string | undefined): void {
  if (adminToken) {
    requireSharedSecret('console', 'ADMIN_TOKEN', adminToken, [bearer(request)]);
  } else if (!LOOPBACK.has(request.ip)) {
    throw errors.signatureInvalid('console', 'only loopback callers may post without ADMIN_TOKEN');
  }
}

export function authenticateWebhook(
  provider: WhatsAppProviderName,
  request: FastifyRequest,
  rawBody: Buffer,
  secrets: Secrets,
): void {
  const { meta, zapi, evolution } = secrets.whatsapp;
  if (provider === 'meta') authenticateMeta(request, rawBody, meta.appSecret);
  else if (provider === 'zapi') {
    requireSharedSecret('zapi', 'ZAPI_WEBHOOK_SECRET', zapi.webhookSecret, [queryToken(request)]);
  } else if (provider === 'evolution') {
    requireSharedSecret('evolution', 'EVOLUTION_WEBHOOK_SECRET', evolution.webhookSecret, [
      queryToken(request),
      bearer(request),
    ]);
  } else authenticateConsole(request, secrets.adminToken);
}
