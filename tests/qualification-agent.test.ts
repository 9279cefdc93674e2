import { afterEach, describe, expect, it } from 'vitest';
import { COLD_CLOSING, HANDOFF_MESSAGE } from '../src/agents/offline/offline-policy.js';
import { findCommercialTerms } from '../src/domain/guardrails/commercial-terms.js';
import { PRICE_DEFLECTION } from '../src/domain/guardrails/policy.js';
import { countQuestions } from '../src/domain/guardrails/questions.js';
import { phoneFor } from './factories.js';
import { consoleLead } from './helpers/console-lead.js';
import { startTestService, type TestService } from './helpers/service.js';

/** The qualification agent, offline, through the real pipeline (console provider, real Postgres). */
let t: TestService | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const env = { MESSAGE_BUFFER_MS: '100' };

describe('qualification agent (offline)', () => {
  it('greets a new lead and asks at most two questions', async () => {
    t = await startTestService(env);
    const [first] = await consoleLead(t as TestService, phoneFor(400)).converse(['Oi, bom dia']);
    expect(first).toMatch(/^Olá! Aqui é o assistente virtual da Seleto Industrial\./);
    expect(countQuestions(first ?? '')).toBe(2);
  });

  it('hands off a hot buyer who gives everything in one message', async () => {
    t = await startTestService(env);
    const phone = phoneFor(401);
    const sent = await consoleLead(t as TestService, phone).converse([
      'Olá, meu nome é Carlos Lima, sou da Acme Alimentos, CNPJ 11.222.333/0001-81. Precisamos com urgência de uma envasadora para molho de tomate, 2 mil frascos por hora. Somos de Campinas/SP, email carlos@acme.com.br',
    ]);
    expect(sent.at(-1)).toContain(HANDOFF_MESSAGE);
    const row = await consoleLead(t as TestService, phone).lead();
    expect(row).toMatchObject({ status: 'handed_off', temperature: 'quente' });
    expect(row?.profile).toMatchObject({ cnpj: '11222333000181', email: 'carlos@acme.com.br', uf: 'SP' });
    expect(row?.summary?.temperature).toBe('quente');
  });

  it('deflects a lead who insists on the price, three times, without ever quoting one', async () => {
    t = await startTestService(env);
    const phone = phoneFor(402);
    const sent = await consoleLead(t as TestService, phone).converse([
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
    const sent = await consoleLead(t as TestService, phone).converse([
      'Oi! Sou estudante e estou fazendo meu TCC sobre envase',
      'obrigado! mais uma coisa',
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain(COLD_CLOSING);
    expect((await consoleLead(t as TestService, phone).lead())?.status).toBe('closed_cold');
  });
});
