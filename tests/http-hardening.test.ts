import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BODY_LIMIT_BYTES } from '../src/app.js';
import { META_APP_SECRET, signMeta, zapiText } from './factories.js';
import { ZAPI_WEBHOOK_SECRET } from './helpers/pipeline.js';
import { startTestService, TEST_ADMIN_TOKEN, type TestService } from './helpers/service.js';

/**
 * The public surface under abuse: request floods get 429 with Retry-After, oversized bodies 413,
 * both as JSON errors and counted as rejected webhooks; operator endpoints carry security headers.
 * Each test calls from an address of its own, so the per-IP limits do not leak between tests.
 */
const WEBHOOK_LIMIT = 3;
const ADMIN_LIMIT = 2;
const CHATWOOT_WEBHOOK_TOKEN = 'chatwoot-webhook-token-hardening';

let t: TestService;
beforeAll(async () => {
  t = await startTestService({
    RATE_LIMIT_PER_MINUTE: String(WEBHOOK_LIMIT),
    ADMIN_RATE_LIMIT_PER_MINUTE: String(ADMIN_LIMIT),
    WHATSAPP_PROVIDER: 'console',
    META_APP_SECRET,
    ZAPI_WEBHOOK_SECRET,
    CHATWOOT_WEBHOOK_TOKEN,
  });
});
afterAll(async () => {
  await t?.stop();
});

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

function postZapi(remoteAddress: string, payload: string) {
  return t.service.app.inject({
    method: 'POST',
    url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
    headers: { 'content-type': 'application/json' },
    payload,
    remoteAddress,
  });
}

async function rejected(provider: string): Promise<number> {
  const body = (await t.service.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = body
    .split('\n')
    .find((l) => l.startsWith(`webhook_events_total{provider="${provider}",outcome="rejected"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('rate limits', () => {
  it('answers the webhook flood with 429, Retry-After and a JSON error, and logs it', async () => {
    const before = await rejected('zapi');
    const statuses: number[] = [];
    for (let i = 0; i <= WEBHOOK_LIMIT; i += 1) {
      statuses.push(
        (await postZapi('10.1.0.1', JSON.stringify(zapiText({ phone: '5511900001111', text: `${i}` }))))
          .statusCode,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await postZapi('10.1.0.1', '{}');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['content-type']).toContain('application/json');
    expect(limited.json()).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringContaining(`at most ${WEBHOOK_LIMIT} per minute`),
      requestId: limited.headers['x-request-id'],
    });
    expect(await rejected('zapi')).toBe(before + 2);
    const logged = t.logs.find(
      (line) => line.requestId === limited.headers['x-request-id'] && line.code === 'RATE_LIMITED',
    );
    expect(logged).toMatchObject({ level: 'warn' });
  });

  it('shares one count between the WhatsApp and Chatwoot webhooks, and limits each client apart', async () => {
    for (let i = 0; i < WEBHOOK_LIMIT; i += 1) {
      expect(
        (await postZapi('10.1.0.2', JSON.stringify(zapiText({ phone: '5511900002222', text: `${i}` }))))
          .statusCode,
      ).toBe(200);
    }
    const chatwoot = await t.service.app.inject({
      method: 'POST',
      url: `/webhooks/chatwoot?token=${CHATWOOT_WEBHOOK_TOKEN}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ event: 'contact_created' }),
      remoteAddress: '10.1.0.2',
    });
    expect(chatwoot.statusCode).toBe(429);
    const other = await postZapi(
      '10.1.0.3',
      JSON.stringify(zapiText({ phone: '5511900003333', text: 'oi' })),
    );
    expect(other.statusCode).toBe(200);
  });

  it('counts refused admin calls too, so a token cannot be guessed at full speed', async () => {
    const call = (headers: Record<string, string>) =>
      t.service.app.inject({ method: 'GET', url: '/admin/dead-letters', headers, remoteAddress: '10.2.0.1' });
    expect((await call({ authorization: 'Bearer wrong-token-wrong-token' })).statusCode).toBe(401);
    expect((await call({ authorization: 'Bearer wrong-token-wrong-token' })).statusCode).toBe(401);
    const limited = await call(admin);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('keeps the admin and webhook counts apart', async () => {
    for (let i = 0; i < ADMIN_LIMIT; i += 1) {
      const response = await t.service.app.inject({
        method: 'GET',
        url: '/admin/dead-letters',
        headers: admin,
        remoteAddress: '10.2.0.2',
      });
      expect(response.statusCode).toBe(200);
    }
    expect(
      (await postZapi('10.2.0.2', JSON.stringify(zapiText({ phone: '5511900004444', text: 'oi' }))))
        .statusCode,
    ).toBe(200);
  });

  it('never limits health, readiness or metrics', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      for (let i = 0; i < WEBHOOK_LIMIT + ADMIN_LIMIT + 2; i += 1) {
        const response = await t.service.app.inject({ method: 'GET', url, remoteAddress: '10.3.0.1' });
        expect(response.statusCode, url).toBe(200);
      }
    }
  });
});

describe('body size limit', () => {
  const oversized = `{"padding":"${'x'.repeat(DEFAULT_BODY_LIMIT_BYTES)}"}`;
  const cases = [
    { provider: 'zapi', url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`, headers: {} },
    {
      provider: 'meta',
      url: '/webhooks/whatsapp/meta',
      headers: { 'x-hub-signature-256': signMeta(oversized) },
    },
    { provider: 'evolution', url: '/webhooks/whatsapp/evolution', headers: {} },
    { provider: 'console', url: '/webhooks/whatsapp/console', headers: {} },
    { provider: 'chatwoot', url: `/webhooks/chatwoot?token=${CHATWOOT_WEBHOOK_TOKEN}`, headers: {} },
  ];

  it.each(cases)('answers an oversized $provider webhook with 413 JSON and counts it rejected', async (c) => {
    const before = await rejected(c.provider);
    const response = await t.service.app.inject({
      method: 'POST',
      url: c.url,
      headers: { 'content-type': 'application/json', ...c.headers },
      payload: oversized,
      remoteAddress: `10.4.0.${cases.indexOf(c) + 1}`,
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({
      code: 'BODY_TOO_LARGE',
      message: 'request body is larger than this endpoint accepts',
      requestId: response.headers['x-request-id'],
    });
    expect(await rejected(c.provider)).toBe(before + 1);
  });
});

describe('security headers', () => {
  const expected = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'content-security-policy': "default-src 'none';frame-ancestors 'none'",
    'strict-transport-security': expect.stringContaining('max-age='),
    'referrer-policy': 'no-referrer',
  };

  it.each([
    ['/healthz', {}],
    ['/readyz', {}],
    ['/metrics', {}],
    ['/admin/dead-letters', admin],
    ['/admin/dead-letters', {}],
  ])('are set on GET %s', async (url, headers) => {
    const response = await t.service.app.inject({ method: 'GET', url, headers, remoteAddress: '10.5.0.1' });
    expect(response.headers).toMatchObject(expected);
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});
