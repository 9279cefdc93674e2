import { afterEach, describe, expect, it } from 'vitest';
import { COLD_CLOSING, HANDOFF_MESSAGE } from '../src/agents/offline/offline-policy.js';
import { findCommercialTerms } from '../src/domain/guardrails/commercial-terms.js';
import { PRICE_DEFLECTION } from '../src/domain/guardrails/policy.js';
import { countQuestions } from '../src/domain/guardrails/questions.js';
import { phoneFor } from './factories.js';
import { startTestService, type TestService } from './helpers/service.js';
import { waitUntilSettled } from './helpers/settled.js';

/** The qualification agent, offline, through the real pipeline (console provider, real Postgres). */
let t: TestService | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function say(phone: string, text: string): Promise<void> {
  const response = await t?.service.app.inject({
    method: 'POST',
    url: '/webhooks/whatsapp/console',
    headers: { 'content-type': 'application/json', authorization: 'Bearer test-admin-token-0123456789' },
    payload: JSON.stringify({ from: phone, text }),
  });
  expect(response?.statusCode).toBe(200);
}

async function replies(phone: string): Promise<string[]> {
  const result = await t?.service.pool.query<{ text: string }>(
    `select text from outbox where chat_id = $1 and status = 'sent' order by created_at, part`,
    [phone],
  );
  return result?.rows.map((row) => row.text) ?? [];
}

async function lead(phone: string) {
  const result = await t?.service.pool.query(
    'select status, temperature, profile, summary from leads where phone = $1',
    [phone],
  );
  return result?.rows[0];
}

/** Sends each message once the previous one is fully handled: answered, and its reply sent. */
async function conversation(phone: string, messages: string[]): Promise<string[]> {
  for (const text of messages) {
    await say(phone, text);
    if (t) await waitUntilSettled(t.service.pool);
  }
  return replies(phone);
}

const env = { MESSAGE_BUFFER_MS: '100' };

describe('qualification agent (offline)', () => {
  it('greets a new lead and asks at most two questions', async () => {
    t = await startTestService(env);
    const [first] = await conversation(phoneFor(400), ['Oi, bom dia']);
    expect(first).toMatch(/^Olá! Aqui é o assistente virtual da Seleto Industrial\./);
    expect(countQuestions(first ?? '')).toBe(2);
  });

  it('hands off a hot buyer who gives everything in one message', async () => {
    t = await startTestService(env);
    const phone = phoneFor(401);
    const sent = await conversation(phone, [
      'Olá, meu nome é Carlos Lima, sou da Acme Alimentos, CNPJ 11.222.333/0001-81. Precisamos com urgência de uma envasadora para molho de tomate, 2 mil frascos por hora. Somos de Campinas/SP, email carlos@acme.com.br',
    ]);
    expect(sent.at(-1)).toContain(HANDOFF_MESSAGE);
    const row = await lead(phone);
    expect(row).toMatchObject({ status: 'handed_off', temperature: 'quente' });
    expect(row?.profile).toMatchObject({ cnpj: '11222333000181', email: 'carlos@acme.com.br', uf: 'SP' });
    expect(row?.summary?.temperature).toBe('quente');
  });

  it('deflects a lead who insists on the price, three times, without ever quoting one', async () => {
    t = await startTestService(env);
    const phone = phoneFor(402);
    const sent = await conversation(phone, [
      'Quanto custa uma rotuladora?',
      'mas qual o valor?',
      'me passa pelo menos o preço aproximado',
    ]);
    expect(sent).toHaveLength(3);
    for (const reply of sent) {
      expect(reply).toContain(PRICE_DEFLECTION);
      expect(findCommercialTerms(reply)).toEqual([]);
      expect(countQuestions(reply)).toBeLessThanOrEqual(2);
    }
  });

  it('closes a student politely once, then stops answering', async () => {
    t = await startTestService(env);
    const phone = phoneFor(403);
    const sent = await conversation(phone, [
      'Oi! Sou estudante e estou fazendo meu TCC sobre envase',
      'obrigado! mais uma coisa',
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain(COLD_CLOSING);
    expect((await lead(phone))?.status).toBe('closed_cold');
  });
});
