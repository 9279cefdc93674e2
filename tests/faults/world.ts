import type { AddressInfo } from 'node:net';
import { createFakeChatwoot, type FakeChatwoot } from '../fakes/chatwoot.js';
import { createFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { createFakePipeRun, type FakePipeRun } from '../fakes/piperun.js';
import { createFakeWhatsAppProvider, type FakeWhatsAppProvider } from '../fakes/whatsapp-provider.js';
import { providerEnv, ZAPI_WEBHOOK_SECRET } from '../helpers/pipeline.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { type OutageProxy, startOutageProxy } from './outage-proxy.js';

/**
 * Every outside system of the service faked on 127.0.0.1: Z-API (sends, media, echoes), one
 * OpenAI server (chat and transcription, as in production), PipeRun and Chatwoot (both calling
 * back where they do in production). WhatsApp sends and PipeRun go through an outage relay so a
 * run can take their host away entirely.
 */
export const CHATWOOT_WEBHOOK_TOKEN = 'fault-matrix-chatwoot-webhook';
const CHATWOOT_TOKEN = 'fault-matrix-chatwoot-token';
const PIPERUN_TOKEN = 'fault0123456789abcdef0123456789ab';
const OPENAI_KEY = 'sk-test-fault-matrix';
const BOT_USER_ID = 15;
export const HANDOFF_ASSIGNEE_ID = 12;

/** Settings that keep a run short: quick breakers, quick in-call retries, a short burst window. */
export const BREAKER_RESET_MS = 1000;

export type World = {
  provider: FakeWhatsAppProvider;
  openai: FakeOpenAI;
  piperun: FakePipeRun;
  chatwoot: FakeChatwoot;
  relays: { whatsapp: OutageProxy; piperun: OutageProxy };
  env: Record<string, string>;
};

export async function startWorld(seed: number): Promise<World> {
  const provider = createFakeWhatsAppProvider({ seed });
  const openai = createFakeOpenAI({ apiKey: OPENAI_KEY, seed });
  const piperun = createFakePipeRun({ token: PIPERUN_TOKEN, seed });
  const chatwoot = createFakeChatwoot({
    token: CHATWOOT_TOKEN,
    accountId: 3,
    inboxId: 7,
    botUserId: BOT_USER_ID,
    seed,
  });
  const urls = await provider.start();
  const { baseUrl: openaiUrl } = await openai.start();
  const { baseUrl: piperunUrl } = await piperun.start();
  const { baseUrl: chatwootUrl } = await chatwoot.start();
  const relays = {
    whatsapp: await startOutageProxy(Number(new URL(urls.url).port)),
    piperun: await startOutageProxy(Number(new URL(piperunUrl).port)),
  };
  const env = {
    ...providerEnv('zapi', { ...urls, zapiBaseUrl: relays.whatsapp.url(urls.zapiBaseUrl) }),
    MESSAGE_BUFFER_MS: '300',
    WHATSAPP_SEND_TIMEOUT_MS: '1000',
    WHATSAPP_BREAKER_RESET_SECONDS: String(BREAKER_RESET_MS / 1000),
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: openaiUrl,
    OPENAI_MAX_RETRIES: '1',
    OPENAI_TIMEOUT_MS: '1000',
    OPENAI_BREAKER_RESET_SECONDS: String(BREAKER_RESET_MS / 1000),
    AUDIO_MAX_BYTES: String(256 * 1024),
    AUDIO_MAX_SECONDS: '60',
    PIPERUN_BASE_URL: relays.piperun.url(piperunUrl),
    PIPERUN_TOKEN,
    PIPERUN_PIPELINE_ID: '41230',
    PIPERUN_STAGE_ID: '215870',
    PIPERUN_TIMEOUT_MS: '1000',
    PIPERUN_MAX_REQUESTS_PER_SECOND: '100',
    PIPERUN_RETRY_DELAY_MS: '50',
    PIPERUN_BREAKER_RESET_SECONDS: String(BREAKER_RESET_MS / 1000),
    CHATWOOT_BASE_URL: chatwootUrl,
    CHATWOOT_API_TOKEN: CHATWOOT_TOKEN,
    CHATWOOT_ACCOUNT_ID: '3',
    CHATWOOT_INBOX_ID: '7',
    CHATWOOT_WEBHOOK_TOKEN,
    CHATWOOT_BOT_USER_ID: String(BOT_USER_ID),
    CHATWOOT_HANDOFF_ASSIGNEE_ID: String(HANDOFF_ASSIGNEE_ID),
    CHATWOOT_TIMEOUT_MS: '1000',
    CHATWOOT_BREAKER_RESET_SECONDS: String(BREAKER_RESET_MS / 1000),
  };
  return { provider, openai, piperun, chatwoot, relays, env };
}

export async function resetWorld(world: World): Promise<void> {
  await world.chatwoot.settled();
  await world.relays.whatsapp.accept();
  await world.relays.piperun.accept();
  world.provider.reset();
  world.openai.reset();
  world.piperun.reset();
  world.chatwoot.reset();
}

export async function stopWorld(world: World): Promise<void> {
  await world.relays.whatsapp.stop();
  await world.relays.piperun.stop();
  await world.provider.stop();
  await world.openai.stop();
  await world.piperun.stop();
  await world.chatwoot.stop();
}

// The queues' production backoff (from 5 s, doubling) would stretch a run to minutes: the same
// doubling from 1 s keeps each job's retries lasting longer than any outage of a run, and the
// checks bring the last waits forward once the faults are over. Queue options are copied onto
// each job when it is sent, so this applies to every job of the run.
const RETRIED_QUEUES = [
  'conversation-turn',
  'crm-sync',
  'chatwoot-mirror',
  'chatwoot-event',
  'inbound-event',
];

/** The whole service, listening (Z-API echoes and Chatwoot webhooks call it over HTTP). */
export async function startRunService(world: World): Promise<TestService> {
  const t = await startTestService(world.env);
  await t.service.pool.query(
    'update pgboss.queue set retry_delay = 1, retry_backoff = true where name = any($1)',
    [RETRIED_QUEUES],
  );
  await t.service.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.service.app.server.address() as AddressInfo;
  world.provider.echoTo(
    `http://127.0.0.1:${port}/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
    'zapi',
  );
  world.chatwoot.webhookTo(`http://127.0.0.1:${port}/webhooks/chatwoot?token=${CHATWOOT_WEBHOOK_TOKEN}`);
  return t;
}
