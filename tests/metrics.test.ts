import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLeadRepo } from '../src/db/lead.repo.js';
import { createPool } from '../src/db/pool.js';
import { createMetrics } from '../src/observability/metrics.js';
import { phoneFor, signMeta, zapiText } from './factories.js';
import type { FakeWhatsAppProvider } from './fakes/whatsapp-provider.js';
import { createTestDatabase } from './helpers/database.js';
import { captureLogs } from './helpers/logs.js';
import { providerEnv, startFakeProvider, ZAPI_WEBHOOK_SECRET } from './helpers/pipeline.js';
import { startTestService, type TestService } from './helpers/service.js';
import { waitUntilSettled } from './helpers/settled.js';
import { waitFor } from './helpers/wait.js';

/**
 * GET /metrics after real traffic through the whole service (offline agent, fake Z-API): every
 * operational metric the README lists is there, with values.
 */
const CHATWOOT_WEBHOOK_TOKEN = 'chatwoot-webhook-token-metrics';

let provider: FakeWhatsAppProvider;
let t: TestService;

beforeAll(async () => {
  const started = await startFakeProvider();
  provider = started.fake;
  t = await startTestService({
    ...providerEnv('zapi', started.urls),
    CHATWOOT_WEBHOOK_TOKEN,
  });
});
afterAll(async () => {
  await t?.stop();
  await provider?.stop();
});

async function scrape(): Promise<string> {
  const response = await t.service.app.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  return response.body;
}

/** The value of one series, e.g. sample(body, 'webhook_events_total', { provider: 'zapi', outcome: 'accepted' }). */
function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).match(/^\{(.*)\}/)?.[1] ?? '';
    const present = labelText.split(',');
    if (wanted.every((pair) => present.includes(pair))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

function postZapi(body: unknown, token = ZAPI_WEBHOOK_SECRET) {
  return t.service.app.inject({
    method: 'POST',
    url: `/webhooks/whatsapp/zapi?token=${token}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

describe('webhook outcomes', () => {
  it('counts accepted, duplicate, ignored and rejected deliveries by provider', async () => {
    const before = await scrape();
    const count = (body: string, provider: string, outcome: string) =>
      (sample(body, 'webhook_events_total', { provider, outcome }) ?? 0) -
      (sample(before, 'webhook_events_total', { provider, outcome }) ?? 0);

    const message = zapiText({ phone: phoneFor(301), text: 'Bom dia' });
    expect((await postZapi(message)).statusCode).toBe(200);
    expect((await postZapi(message)).statusCode).toBe(200);
    expect(
      (await postZapi({ ...zapiText({ phone: phoneFor(302), text: 'grupo' }), isGroup: true })).statusCode,
    ).toBe(200);
    expect((await postZapi(message, 'wrong-secret')).statusCode).toBe(401);
    const malformed = await t.service.app.inject({
      method: 'POST',
      url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
      headers: { 'content-type': 'application/json' },
      payload: '{"type":',
    });
    expect(malformed.statusCode).toBe(400);
    const instagram = JSON.stringify({ object: 'instagram', entry: [] });
    const ignoredMeta = await t.service.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp/meta',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMeta(instagram) },
      payload: instagram,
    });
    expect(ignoredMeta.statusCode).toBe(200);
    const unknown = await t.service.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp/not-a-provider',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(unknown.statusCode).toBe(404);
    const chatwoot = (token: string) =>
      t.service.app.inject({
        method: 'POST',
        url: `/webhooks/chatwoot?token=${token}`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ event: 'contact_created' }),
      });
    expect((await chatwoot(CHATWOOT_WEBHOOK_TOKEN)).json()).toEqual({ status: 'ignored' });
    expect((await chatwoot('wrong')).statusCode).toBe(401);

    const after = await scrape();
    expect(count(after, 'zapi', 'accepted')).toBe(1);
    expect(count(after, 'zapi', 'duplicate')).toBe(1);
    expect(count(after, 'zapi', 'ignored')).toBe(1);
    expect(count(after, 'zapi', 'rejected')).toBe(2);
    expect(count(after, 'meta', 'ignored')).toBe(1);
    expect(count(after, 'unknown', 'rejected')).toBe(1);
    expect(count(after, 'chatwoot', 'ignored')).toBe(1);
    expect(count(after, 'chatwoot', 'rejected')).toBe(1);
    expect(sample(after, 'whatsapp_events_ignored_total', { provider: 'zapi', reason: 'group' })).toBe(1);
    await waitUntilSettled(t.service.pool);
  });
});

describe('a conversation handed to a human', () => {
  it('feeds turn, job, integration, handoff and lead metrics', async () => {
    const phone = phoneFor(310);
    expect(
      (await postZapi(zapiText({ phone, text: 'Quero falar com um vendedor, por favor' }))).statusCode,
    ).toBe(200);
    await waitFor(() => provider.sends.some((send) => send.to.includes(phone)), {
      what: 'the reply to the lead',
    });
    await waitUntilSettled(t.service.pool);

    const body = await scrape();
    expect(sample(body, 'handoffs_total', { step: 'decided' })).toBe(1);
    expect(
      sample(body, 'conversation_turn_duration_seconds_count', { outcome: 'ready' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(body, 'agent_reply_duration_seconds_count', { agent: 'qualification' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(body, 'integration_calls_total', { system: 'whatsapp', operation: 'send', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'job_wait_seconds_count', { queue: 'conversation-turn' })).toBeGreaterThanOrEqual(1);
    const temperatures = await t.service.pool.query<{ temperature: string; count: number }>(
      `select coalesce(temperature, 'unscored') as temperature, count(*)::int as count from leads group by 1`,
    );
    expect(temperatures.rows.length).toBeGreaterThan(0);
    for (const { temperature, count } of temperatures.rows) {
      expect(sample(body, 'leads_by_temperature', { temperature })).toBe(count);
    }
  });
});

describe('scrape-time gauges', () => {
  it('reports queue depth per queue and state, zeros included', async () => {
    const body = await scrape();
    for (const state of ['waiting', 'deferred', 'active']) {
      expect(sample(body, 'job_queue_depth', { queue: 'conversation-turn', state })).toBeGreaterThanOrEqual(
        0,
      );
      expect(sample(body, 'job_queue_depth', { queue: 'crm-sync', state })).toBeGreaterThanOrEqual(0);
    }
  });

  it('counts a job waiting for its start_after as deferred', async () => {
    const later = new Date(Date.now() + 3_600_000);
    await t.service.queue.send(
      'crm-sync',
      { leadId: '00000000-0000-0000-0000-000000000000' },
      { startAfter: later },
    );
    expect(sample(await scrape(), 'job_queue_depth', { queue: 'crm-sync', state: 'deferred' })).toBe(1);
    await t.service.pool.query(`delete from pgboss.job where name = 'crm-sync' and start_after > now()`);
    expect(sample(await scrape(), 'job_queue_depth', { queue: 'crm-sync', state: 'deferred' })).toBe(0);
  });

  it('shows every configured breaker, closed', async () => {
    const body = await scrape();
    expect(sample(body, 'circuit_breaker_open', { system: 'whatsapp' })).toBe(0);
  });

  it('shows an open breaker as 1', async () => {
    const metrics = createMetrics();
    let isOpen = false;
    metrics.watchBreaker('chatwoot', () => isOpen);
    expect(sample(await metrics.registry.metrics(), 'circuit_breaker_open', { system: 'chatwoot' })).toBe(0);
    isOpen = true;
    expect(sample(await metrics.registry.metrics(), 'circuit_breaker_open', { system: 'chatwoot' })).toBe(1);
  });

  it('keeps the last values and still answers the scrape when the database is away', async () => {
    const db = await createTestDatabase();
    const { log, lines } = captureLogs();
    const pool = createPool({ connectionString: db.url, max: 1, log });
    try {
      await pool.query(`insert into leads (phone, temperature) values ('5511900000001', 'quente')`);
      const metrics = createMetrics();
      metrics.leadsByTemperature.readFrom(
        async () =>
          (await createLeadRepo(pool).countByTemperature()).map(({ temperature, count }) => ({
            labels: { temperature },
            value: count,
          })),
        log,
      );
      expect(
        sample(await metrics.registry.metrics(), 'leads_by_temperature', { temperature: 'quente' }),
      ).toBe(1);
      await pool.end();
      const body = await metrics.registry.metrics();
      expect(sample(body, 'leads_by_temperature', { temperature: 'quente' })).toBe(1);
      expect(sample(body, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(lines.some((line) => line.msg?.includes('metric not refreshed at scrape'))).toBe(true);
    } finally {
      await pool.end().catch(() => undefined);
      await db.drop();
    }
  });
});
