import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withResilience } from '../src/integrations/whatsapp/resilient-client.js';
import { createZapiClient, type ZapiClient } from '../src/integrations/whatsapp/zapi/client.js';
import {
  createFakeWhatsAppProvider,
  FAKE_CREDENTIALS,
  type FakeWhatsAppProvider,
} from './fakes/whatsapp-provider.js';
import { upstreamFailure } from './helpers/failure.js';
import { captureLogs } from './helpers/logs.js';

const LEAD = '5511987650001';
const FAST = { retries: 2, minTimeoutMs: 10, maxRetryAfterMs: 2_000, breakerResetMs: 60_000 };

let fake: FakeWhatsAppProvider;
let urls: Awaited<ReturnType<FakeWhatsAppProvider['start']>>;
const clients: ZapiClient[] = [];

beforeAll(async () => {
  fake = createFakeWhatsAppProvider({ seed: 3 });
  urls = await fake.start();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await fake.stop();
});
beforeEach(() => fake.reset());

function resilientZapi(timeoutMs = 2_000) {
  const client = createZapiClient({ baseUrl: urls.zapiBaseUrl, ...FAKE_CREDENTIALS.zapi, timeoutMs });
  clients.push(client);
  return withResilience(client, captureLogs().log, FAST);
}

describe('WhatsApp send resilience', () => {
  it('absorbs a 503 and a short 429 inside the call', async () => {
    fake.fail(1, { status: 503 });
    fake.fail(1, { status: 429, retryAfterSeconds: 1 });
    const result = await resilientZapi().sendText({ to: LEAD, text: 'oi' });
    expect(fake.sends).toHaveLength(1);
    expect(result.providerMessageId).toBe(fake.sends[0]?.providerMessageId);
  });

  it('does not repeat a send whose response was lost: the provider may have sent it', async () => {
    fake.fail(1, { dropAfterAccept: true });
    const error = await upstreamFailure(resilientZapi().sendText({ to: LEAD, text: 'oi' }));
    expect(error).toMatchObject({ retryable: true, mayHaveSucceeded: true });
    expect(fake.sends).toHaveLength(1);
  });

  it('does not repeat a send that timed out waiting for the answer', async () => {
    fake.fail(1, { delayMs: 1_000 });
    const error = await upstreamFailure(resilientZapi(200).sendText({ to: LEAD, text: 'oi' }));
    expect(error).toMatchObject({ retryable: true, mayHaveSucceeded: true });
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('leaves a long Retry-After to the job queue', async () => {
    fake.fail(1, { status: 429, retryAfterSeconds: 30 });
    const error = await upstreamFailure(resilientZapi().sendText({ to: LEAD, text: 'oi' }));
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 30_000 });
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('opens the breaker after repeated outages and then fails fast without calling', async () => {
    fake.failRate(1, [{ status: 500 }]);
    const client = resilientZapi();
    for (let i = 0; i < 5 && !client.isCircuitOpen(); i++) {
      await upstreamFailure(client.sendText({ to: LEAD, text: `n${i}` }));
    }
    expect(client.isCircuitOpen()).toBe(true);
    const before = fake.requests.length;
    const error = await upstreamFailure(client.sendText({ to: LEAD, text: 'fast' }));
    expect(error.message).toContain('circuit open');
    expect(fake.requests.length).toBe(before);
  });
});
