import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { COLD_CLOSING } from '../src/agents/offline/offline-policy.js';
import { checkReply, PRICE_DEFLECTION } from '../src/domain/guardrails/policy.js';
import { phoneFor } from './factories.js';
import { createFakeOpenAI, type FakeOpenAI } from './fakes/openai.js';
import { consoleLead } from './helpers/console-lead.js';
import { startTestService, type TestService } from './helpers/service.js';

/** The qualification agent with a model: the real SDK against a scripted OpenAI-compatible server. */
let fake: FakeOpenAI;
let baseUrl: string;
let t: TestService | undefined;

beforeAll(async () => {
  fake = createFakeOpenAI();
  ({ baseUrl } = await fake.start());
});
afterEach(async () => {
  await t?.stop();
  t = undefined;
  fake.reset();
});
afterAll(async () => {
  await fake.stop();
});

async function start(env: Record<string, string> = {}) {
  t = await startTestService({
    MESSAGE_BUFFER_MS: '50',
    WHATSAPP_MAX_SENDS_PER_MINUTE: '60000',
    OPENAI_API_KEY: 'sk-test-fake',
    OPENAI_BASE_URL: baseUrl,
    OPENAI_MAX_RETRIES: '0',
    OPENAI_TIMEOUT_MS: '1000',
    ...env,
  });
  return t;
}

async function rows(sql: string, params: unknown[] = []) {
  return (await (t as TestService).service.pool.query(sql, params)).rows;
}

const lastTurn = async () =>
  (
    await rows(
      `select prompt_version, usage, agent from turns where status = 'sent' order by created_at desc`,
    )
  )[0];

describe('qualification agent with a model', () => {
  it('fills the lead from tool calls and stores the prompt version and token usage', async () => {
    const chat = consoleLead(await start(), phoneFor(500));
    fake.script(
      {
        toolCalls: [
          {
            name: 'update_lead',
            arguments: {
              name: 'Ana Souza',
              company: 'Doces Bahia',
              product: 'Envasadora',
              temperature: 'morno',
            },
          },
        ],
      },
      { reply: 'Prazer, Ana! Qual produto vocês vão envasar na Doces Bahia?' },
    );
    const sent = await chat.converse(['Oi, sou a Ana da Doces Bahia, procuro uma envasadora']);
    expect(sent).toEqual(['Prazer, Ana! Qual produto vocês vão envasar na Doces Bahia?']);
    const lead = await chat.lead();
    expect(lead.profile).toMatchObject({ name: 'Ana Souza', company: 'Doces Bahia', product: 'Envasadora' });
    expect(lead.temperature_reasons.join(' ')).toContain('Sugestão do modelo: morno');
    const turn = await lastTurn();
    expect(turn.prompt_version).toBe('sp_agente_v1');
    expect(turn.usage).toMatchObject({ calls: 2 });
    expect(turn.usage.promptTokens).toBeGreaterThan(0);
    const [first] = fake.chatRequests();
    expect(first?.messages[0]).toMatchObject({ role: 'system' });
    expect(String(first?.messages[0]?.content)).toContain('version="sp_agente_v1"');
    expect(first?.tools?.map((tool) => (tool.type === 'function' ? tool.function.name : ''))).toEqual([
      'update_lead',
      'create_quote_request',
      'create_company',
      'search_knowledge',
      'handoff_to_human',
      'close_cold_lead',
    ]);
    expect(await rows(`select data->>'tool' as tool from agent_events where type = 'tool_call'`)).toEqual([
      { tool: 'update_lead' },
    ]);
  });

  it('answers malformed and invalid tool calls to the model instead of failing the turn', async () => {
    const chat = consoleLead(await start(), phoneFor(501));
    fake.script(
      { toolCalls: [{ name: 'update_lead', arguments: '{"name": "Ana' }] },
      { toolCalls: [{ name: 'create_company', arguments: { cnpj: '11.222.333/0001-00', name: 'Acme' } }] },
      { toolCalls: [{ name: 'fly_to_the_moon', arguments: {} }] },
      { reply: 'Pode confirmar o CNPJ, por favor?' },
    );
    const sent = await chat.converse(['CNPJ 11.222.333/0001-00']);
    expect(sent).toEqual(['Pode confirmar o CNPJ, por favor?']);
    const toolAnswers = (fake.chatRequests().at(-1)?.messages ?? [])
      .filter((m) => m.role === 'tool')
      .map((m) => String(m.content));
    expect(toolAnswers[0]).toContain('arguments are not valid JSON');
    expect(toolAnswers[1]).toContain('CNPJ inválido');
    expect(toolAnswers[2]).toContain('unknown tool');
    expect(await rows('select 1 from companies')).toHaveLength(0);
  });

  it('creates a company and a quote request once, however often the model asks', async () => {
    const chat = consoleLead(await start(), phoneFor(502));
    const company = { name: 'create_company', arguments: { cnpj: '11.222.333/0001-81', name: 'Acme' } };
    const quote = { name: 'create_quote_request', arguments: { product: 'Rotuladora', volume: '3 mil/h' } };
    fake.script({ toolCalls: [company, quote] }, { toolCalls: [company, quote] }, { reply: 'Anotado!' });
    await chat.converse(['Somos a Acme, CNPJ 11.222.333/0001-81, queremos proposta de rotuladora']);
    expect(await rows('select cnpj, name from companies')).toEqual([
      { cnpj: '11222333000181', name: 'Acme' },
    ]);
    expect(await rows('select product, volume from quotes')).toEqual([
      { product: 'Rotuladora', volume: '3 mil/h' },
    ]);
  });

  it('gives the model what the knowledge base says, and tells it to check with a consultant when nothing matches', async () => {
    const chat = consoleLead(await start(), phoneFor(504));
    fake.script(
      {
        toolCalls: [
          { name: 'search_knowledge', arguments: { query: 'envasadora para xarope' } },
          { name: 'search_knowledge', arguments: { query: 'helicóptero' } },
        ],
      },
      { reply: 'Temos envasadoras para xaropes. Qual volume por dia vocês precisam?' },
    );
    await chat.converse(['Vocês têm envasadora para xarope? E helicóptero?']);
    const answers = (fake.chatRequests().at(-1)?.messages ?? [])
      .filter((m) => m.role === 'tool')
      .map((m) => JSON.parse(String(m.content)));
    expect(answers[0]).toMatchObject({ found: true });
    expect(answers[0].results[0].title).toMatch(/Envasadora/);
    expect(JSON.stringify(answers[0].results)).toMatch(/xarope/i);
    expect(answers[1]).toMatchObject({ found: false, results: [] });
    expect(answers[1].instruction).toContain('consultor');
  });

  it('records tool calls in stub mode without touching the records', async () => {
    const chat = consoleLead(await start({ AGENT_TOOLS_MODE: 'stub' }), phoneFor(503));
    fake.script(
      { toolCalls: [{ name: 'create_company', arguments: { cnpj: '11.222.333/0001-81', name: 'Acme' } }] },
      { toolCalls: [{ name: 'update_lead', arguments: { company: 'Outra Empresa' } }] },
      { reply: 'Certo!' },
    );
    await chat.converse(['Oi']);
    expect(await rows('select 1 from companies')).toHaveLength(0);
    expect((await chat.lead()).profile.company ?? null).toBeNull();
    const events = await rows(`select data from agent_events where type = 'tool_call' order by id`);
    expect(events.map((e) => [e.data.tool, e.data.mode])).toEqual([
      ['create_company', 'stub'],
      ['update_lead', 'stub'],
    ]);
  });
});

describe('guardrails on what the model writes', () => {
  it('rewrites a reply that quotes a price once, with the reason, and sends the rewrite', async () => {
    const chat = consoleLead(await start(), phoneFor(510));
    fake.script(
      { reply: 'A envasadora sai por R$ 45.000 à vista.' },
      { reply: 'Quem apresenta a proposta é um consultor. Qual produto vocês envasam?' },
    );
    const sent = await chat.converse(['Quanto custa a envasadora?']);
    expect(sent).toEqual(['Quem apresenta a proposta é um consultor. Qual produto vocês envasam?']);
    const rewrite = fake.chatRequests()[1];
    expect(String(rewrite?.messages.at(-1)?.content)).toContain('commercial_terms');
    expect(rewrite?.tools).toBeUndefined();
    const hits = await rows(
      `select data->>'action' as action from agent_events where type = 'guardrail_hit'`,
    );
    expect(hits.every((hit) => hit.action === 'rewrite')).toBe(true);
  });

  it('replaces a reply that still leaks after the rewrite with the deterministic one', async () => {
    const chat = consoleLead(await start(), phoneFor(511));
    fake.script({ reply: 'Fica em torno de R$ 45.000.' }, { reply: 'Uns 40 mil, entrega em 30 dias úteis.' });
    const [sent] = await chat.converse(['Quanto custa a envasadora?']);
    expect(checkReply(sent ?? '').ok).toBe(true);
    expect(sent).toContain(PRICE_DEFLECTION);
    const actions = await rows(
      `select data->>'action' as action from agent_events where type = 'guardrail_hit'`,
    );
    expect(actions.map((a) => a.action)).toContain('replaced');
  });

  it('rewrites a reply with three questions', async () => {
    const chat = consoleLead(await start(), phoneFor(512));
    fake.script(
      { reply: 'Qual seu nome? Qual sua empresa? Qual seu CNPJ?' },
      { reply: 'Como posso te chamar? E de qual empresa você fala?' },
    );
    const sent = await chat.converse(['Oi']);
    expect(sent).toEqual(['Como posso te chamar? E de qual empresa você fala?']);
  });

  it('puts the approved deflection in front when the lead asked for the price and the model forgot it', async () => {
    const chat = consoleLead(await start(), phoneFor(513));
    fake.script({ reply: 'Para qual produto seria a envasadora?' });
    const [sent] = await chat.converse(['qual o valor da envasadora?']);
    expect(sent).toBe(`${PRICE_DEFLECTION} Para qual produto seria a envasadora?`);
  });

  it('closes a cold lead once with the approved line and then stays quiet', async () => {
    const chat = consoleLead(await start(), phoneFor(514));
    fake.script(
      { toolCalls: [{ name: 'close_cold_lead', arguments: { kind: 'estudante', reason: 'TCC' } }] },
      { reply: 'Boa sorte no TCC! Quer saber mais alguma coisa?' },
    );
    const sent = await chat.converse(['Oi, sou estudante e estou fazendo meu TCC sobre envase', 'e vocês?']);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain(COLD_CLOSING);
    expect((await chat.lead()).status).toBe('closed_cold');
  });

  it('never closes a buyer the rules score hot, whatever the model asks', async () => {
    const chat = consoleLead(await start(), phoneFor(515));
    fake.script(
      {
        toolCalls: [{ name: 'close_cold_lead', arguments: { kind: 'sem_interesse', reason: 'achei frio' } }],
      },
      { reply: 'Perfeito, um consultor vai falar com você.' },
    );
    await chat.converse([
      'Sou Carlos da Acme Alimentos, CNPJ 11.222.333/0001-81, precisamos com urgência de uma envasadora, 2 mil frascos/hora',
    ]);
    const lead = await chat.lead();
    expect(lead.status).toBe('handed_off');
    const answer = fake.chatRequests()[1]?.messages.find((m) => m.role === 'tool');
    expect(String(answer?.content)).toContain('"granted":false');
  });
});

describe('when the model is down', () => {
  it('answers with the offline policy while the model fails, opens the circuit, and recovers', async () => {
    const chat = consoleLead(await start(), phoneFor(520));
    fake.failRate(1, [{ status: 500 }]);
    const sent = await chat.converse(['Oi', 'Sou a Ana', 'da Doces Bahia', 'Procuro envasadora']);
    expect(sent).toHaveLength(4);
    for (const reply of sent) expect(checkReply(reply).ok).toBe(true);
    const writers = await rows(
      `select agent->>'writer' as writer, agent->>'fallback' as fallback from turns`,
    );
    expect(writers.every((w) => w.writer === 'offline')).toBe(true);
    expect(writers.map((w) => w.fallback)).toContain('circuit_open');
    const metrics = await (t as TestService).service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/llm_circuit_open 1/);
    expect(metrics.body).toMatch(/agent_offline_fallbacks_total\{reason="circuit_open"\} [1-9]/);
  });

  it('answers with the offline policy when the model times out', async () => {
    const chat = consoleLead(await start({ OPENAI_TIMEOUT_MS: '1000' }), phoneFor(521));
    fake.script({ delayMs: 3_000 });
    const [sent] = await chat.converse(['Oi, procuro uma rotuladora']);
    expect(sent).toMatch(/^Olá! Aqui é o assistente virtual da Seleto Industrial\./);
    const [turn] = await rows(`select agent->>'fallback' as fallback, prompt_version from turns`);
    expect(turn).toEqual({ fallback: 'llm_error', prompt_version: 'offline-v1' });
  });
});

describe('bounded memory', () => {
  it('folds old messages into a rolling summary so the prompt stops growing', async () => {
    const chat = consoleLead(await start({ AGENT_HISTORY_MESSAGES: '4' }), phoneFor(530));
    let summaries = 0;
    const respond = (request: { messages: Array<{ role: string; content?: unknown }> }) => {
      const system = String(request.messages[0]?.content ?? '');
      if (system.includes('mantém o resumo')) {
        summaries += 1;
        return { reply: `Resumo ${summaries}: lead quer envasadora.` };
      }
      return { reply: 'Entendi.' };
    };
    for (let i = 0; i < 30; i++) fake.script({ respond });
    const messages = Array.from({ length: 9 }, (_, i) => `mensagem ${i + 1} sobre a linha de envase`);
    await chat.converse(messages);
    const sizes = fake
      .chatRequests()
      .filter((r) => !String(r.messages[0]?.content).includes('mantém o resumo'))
      .map((r) => r.messages.length);
    // System prompt + context + at most the window and half a window of not-yet-folded messages.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2 + 4 + 2);
    expect(summaries).toBeGreaterThan(0);
    const [conversation] = await rows('select memory_summary from conversations');
    expect(conversation.memory_summary).toMatch(/^Resumo \d+/);
    const lastPrompt = fake.chatRequests().at(-1)?.messages[1]?.content;
    expect(String(lastPrompt)).toContain('Resumo da conversa anterior');
  }, 60_000);
});
