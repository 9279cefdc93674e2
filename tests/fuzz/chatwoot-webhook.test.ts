import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import {
  anyJson,
  contentTypes,
  expectWebhookAnswer,
  fuzzParams,
  fuzzTimeout,
  jsonBuffer,
  mutatedFixture,
  nastyString,
  nonJsonBody,
  readFixtures,
  trackUnhandledRejections,
} from './support.js';

/**
 * POST /webhooks/chatwoot under random, mutated and malformed deliveries, on one running service
 * with a real database and both the URL token and the HMAC secret configured.
 */
const RUNS = 150;
const TIMEOUT_MS = fuzzTimeout(RUNS, 60);
const WEBHOOK_TOKEN = 'chatwoot-webhook-token';
const WEBHOOK_SECRET = 'chatwoot-webhook-secret';

let t: TestService;
const rejections = trackUnhandledRejections();

beforeAll(async () => {
  rejections.start();
  t = await startTestService({
    CHATWOOT_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    CHATWOOT_WEBHOOK_SECRET: WEBHOOK_SECRET,
  });
});
afterAll(async () => {
  await t?.stop();
  rejections.stop();
  expect(rejections.seen).toEqual([]);
});

const fixtures = readFixtures('chatwoot');

function signed(body: Buffer, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const digest = createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.`).update(body).digest('hex');
  return { 'x-chatwoot-timestamp': String(timestamp), 'x-chatwoot-signature': `sha256=${digest}` };
}

function post(body: Buffer, options: { token?: string; headers?: Record<string, string> } = {}) {
  const token = options.token ?? WEBHOOK_TOKEN;
  return t.service.app.inject({
    method: 'POST',
    url: `/webhooks/chatwoot?token=${encodeURIComponent(token)}`,
    headers: { 'content-type': 'application/json', ...signed(body), ...options.headers },
    payload: body,
  });
}

const deliveryHeader = fc.option(fc.stringMatching(/^[\x21-\x7e]{1,80}$/), { nil: undefined });

describe('Chatwoot webhook under fuzzed deliveries', () => {
  it(
    'answers random JSON with 200 or a JSON 4xx, never a 5xx',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyJson, deliveryHeader, async (value, delivery) => {
          const headers: Record<string, string> =
            delivery === undefined ? {} : { 'x-chatwoot-delivery': delivery };
          expectWebhookAnswer(await post(jsonBuffer(value), { headers }));
        }),
        fuzzParams(RUNS),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'answers mutated fixtures with 200 or a JSON 4xx, never a 5xx',
    async () => {
      const outcomes = { ok: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(mutatedFixture(fixtures), deliveryHeader, async (value, delivery) => {
          const headers: Record<string, string> =
            delivery === undefined ? {} : { 'x-chatwoot-delivery': delivery };
          outcomes[expectWebhookAnswer(await post(jsonBuffer(value), { headers }))] += 1;
        }),
        fuzzParams(RUNS * 2),
      );
      expect(outcomes.ok).toBeGreaterThan(0);
    },
    TIMEOUT_MS * 2,
  );

  it(
    'refuses non-JSON bytes and other content types with a JSON 4xx',
    async () => {
      await fc.assert(
        fc.asyncProperty(nonJsonBody, contentTypes, async (body, contentType) => {
          const headers: Record<string, string> =
            contentType === undefined ? {} : { 'content-type': contentType };
          const response = await t.service.app.inject({
            method: 'POST',
            url: `/webhooks/chatwoot?token=${WEBHOOK_TOKEN}`,
            headers: { ...signed(body), ...headers },
            payload: body,
          });
          const isJsonType = /^application\/json(;|$)/i.test(contentType ?? '');
          if (!isJsonType) expect(expectWebhookAnswer(response)).toBe('refused');
          else expectWebhookAnswer(response);
        }),
        fuzzParams(RUNS),
      );
    },
    TIMEOUT_MS,
  );

  it(
    'refuses a wrong token, and a missing, wrong or stale signature, with 401',
    async () => {
      const body = fc.oneof(anyJson.map(jsonBuffer), fc.constantFrom(...fixtures.map((f) => f.raw)));
      const badAuth = fc.oneof(
        nastyString.map((token) => ({ token, headers: {} })),
        fc.constant({ headers: { 'x-chatwoot-signature': '', 'x-chatwoot-timestamp': '' } }),
        fc
          .stringMatching(/^(sha256=)?[0-9a-f]{64}$/)
          .map((signature) => ({ headers: { 'x-chatwoot-signature': signature } })),
        fc
          .oneof(fc.integer({ min: 301, max: 10 ** 9 }), fc.integer({ min: -(10 ** 9), max: -301 }))
          .map((skew) => ({ skew })),
        fc.stringMatching(/^[\x21-\x7e]{0,20}$/).map((ts) => ({ headers: { 'x-chatwoot-timestamp': ts } })),
      );
      await fc.assert(
        fc.asyncProperty(body, badAuth, async (raw, auth) => {
          fc.pre(!('token' in auth) || auth.token !== WEBHOOK_TOKEN);
          const headers =
            'skew' in auth
              ? signed(raw, Math.floor(Date.now() / 1000) + auth.skew)
              : { ...signed(raw), ...auth.headers };
          const response = await post(raw, { token: 'token' in auth ? auth.token : undefined, headers });
          // A token past 512 characters is refused by validation before it is compared.
          const isLongToken = 'token' in auth && auth.token.length > 512;
          expect(response.statusCode, response.body).toBe(isLongToken ? 400 : 401);
          expectWebhookAnswer(response);
        }),
        fuzzParams(RUNS),
      );
    },
    TIMEOUT_MS,
  );
});

describe('Chatwoot webhook regressions found by fuzzing', () => {
  const incoming = fixtures.find((f) => f.name === 'message_created_incoming_contact.json');

  it.each([
    ['an unpaired surrogate', '\ud800'],
    ['a NUL character', 'a\u0000b'],
  ])('answers a message whose content holds %s without a 5xx', async (_what, content) => {
    const body = jsonBuffer({ ...(incoming?.value as object), content, id: Date.now() });
    const response = await post(body);
    expectWebhookAnswer(response);
  });
});
