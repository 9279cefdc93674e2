import { expect } from 'vitest';
import type { AgentInput, ConversationAgent } from '../../src/agents/agent.js';
import { META_APP_SECRET } from '../factories.js';
import {
  createFakeWhatsAppProvider,
  FAKE_CREDENTIALS,
  type FakeWhatsAppProvider,
} from '../fakes/whatsapp-provider.js';
import type { TestService } from './service.js';

export const ZAPI_WEBHOOK_SECRET = 'zapi-webhook-secret-123';
export const EVOLUTION_WEBHOOK_SECRET = 'evolution-webhook-secret-123';
export const META_VERIFY_TOKEN = 'meta-verify-token';

/** A Z-API delivery to the service, as the provider posts it; it must be accepted. */
export async function postZapi(t: TestService, body: unknown): Promise<void> {
  const response = await t.service.app.inject({
    method: 'POST',
    url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  expect(response.statusCode).toBe(200);
}

/** Answers with the texts it was given, so tests can see which messages a turn covered. */
export function createEchoAgent(options: { gate?: () => Promise<void> } = {}) {
  const calls: AgentInput[] = [];
  const agent: ConversationAgent = {
    name: 'echo',
    async reply(input) {
      calls.push(input);
      await options.gate?.();
      return { text: `Recebi: ${input.newMessages.map((m) => m.text ?? `[${m.kind}]`).join(' | ')}` };
    },
  };
  return { agent, calls };
}

/** Service environment pointing the chosen provider at the fake, with fast test timings. */
export function providerEnv(
  provider: 'meta' | 'zapi' | 'evolution',
  urls: Awaited<ReturnType<FakeWhatsAppProvider['start']>>,
) {
  const common = {
    WHATSAPP_PROVIDER: provider,
    META_APP_SECRET,
    META_VERIFY_TOKEN,
    ZAPI_WEBHOOK_SECRET,
    EVOLUTION_WEBHOOK_SECRET,
    MESSAGE_BUFFER_MS: '300',
    WHATSAPP_MAX_SENDS_PER_MINUTE: '60000',
    // Generous: a send timing out on a loaded CI machine takes the slower retry path.
    WHATSAPP_SEND_TIMEOUT_MS: '5000',
    JOB_MAINTENANCE_INTERVAL_SECONDS: '1',
  };
  const byProvider = {
    meta: {
      META_ACCESS_TOKEN: FAKE_CREDENTIALS.meta.accessToken,
      META_PHONE_NUMBER_ID: FAKE_CREDENTIALS.meta.phoneNumberId,
      META_GRAPH_URL: urls.metaGraphUrl,
    },
    zapi: {
      ZAPI_BASE_URL: urls.zapiBaseUrl,
      ZAPI_INSTANCE_ID: FAKE_CREDENTIALS.zapi.instanceId,
      ZAPI_TOKEN: FAKE_CREDENTIALS.zapi.token,
      ZAPI_CLIENT_TOKEN: FAKE_CREDENTIALS.zapi.clientToken,
    },
    evolution: {
      EVOLUTION_BASE_URL: urls.evolutionBaseUrl,
      EVOLUTION_API_KEY: FAKE_CREDENTIALS.evolution.apiKey,
      EVOLUTION_INSTANCE: FAKE_CREDENTIALS.evolution.instance,
    },
  };
  return { ...common, ...byProvider[provider] };
}

export async function startFakeProvider() {
  const fake = createFakeWhatsAppProvider();
  const urls = await fake.start();
  return { fake, urls };
}
