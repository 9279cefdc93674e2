import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startService } from '../src/service.js';
import { zapiText } from './factories.js';
import { createFakeOpenAI, type FakeOpenAI } from './fakes/openai.js';
import { createFakePipeRun, type FakePipeRun } from './fakes/piperun.js';
import type { FakeWhatsAppProvider } from './fakes/whatsapp-provider.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { captureLogs } from './helpers/logs.js';
import { providerEnv, startFakeProvider, ZAPI_WEBHOOK_SECRET } from './helpers/pipeline.js';
import { TEST_ADMIN_TOKEN } from './helpers/service.js';
import { waitUntilSettled } from './helpers/settled.js';
import { waitFor } from './helpers/wait.js';

/**
 * LGPD: a lead's phone, e-mail and CNPJ never reach a log line in the clear. One whole
 * conversation runs through the real service at trace level (Z-API webhooks, the model with
 * tool calls, a failed model call, a failed send, the PipeRun sync with a failure, the admin API), and every
 * line written is searched for each way the lead's data can be spelt.
 */

const LEAD = {
  // The lead's WhatsApp number, as Z-API sends it: country code, area code, ninth digit.
  phone: '5511987654321',
  phoneFormatted: '+55 11 98765-4321',
  email: 'joao.silva@metalurgica-exemplo.com.br',
  cnpj: '11.222.333/0001-81',
};

/** Digits that may be separated by spaces, dots, dashes, slashes, parentheses or a '+'. */
const spelledAnyWay = (digits: string) => new RegExp(digits.split('').join('[\\s().+/-]*'));

// The eight-digit subscriber number is in every spelling of the phone: with or without +55,
// the area code or the ninth digit, formatted or bare. The mask keeps the last four only.
const LEAKS: Record<string, RegExp> = {
  phone: spelledAnyWay('87654321'),
  email: /joao\.silva|metalurgica-exemplo/i,
  cnpj: spelledAnyWay('11222333000181'),
};

const PIPERUN_TOKEN = '0123456789abcdef0123456789abcdef';

let provider: { fake: FakeWhatsAppProvider; urls: Awaited<ReturnType<FakeWhatsAppProvider['start']>> };
let openai: FakeOpenAI;
let piperun: FakePipeRun;
let db: TestDatabase;
const captured = captureLogs('trace');

beforeAll(async () => {
  provider = await startFakeProvider();
  openai = createFakeOpenAI();
  piperun = createFakePipeRun({ token: PIPERUN_TOKEN, seed: 3 });
  const [{ baseUrl: openaiUrl }, { baseUrl: piperunUrl }] = await Promise.all([
    openai.start(),
    piperun.start(),
  ]);
  db = await createTestDatabase();
  const config = loadConfig({
    ...providerEnv('zapi', provider.urls),
    DATABASE_URL: db.url,
    PORT: '0',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    MESSAGE_BUFFER_MS: '50',
    JOB_MAINTENANCE_INTERVAL_SECONDS: '1',
    OPENAI_API_KEY: 'sk-test-fake',
    OPENAI_BASE_URL: openaiUrl,
    OPENAI_MAX_RETRIES: '0',
    OPENAI_TIMEOUT_MS: '2000',
    AGENT_TOOLS_MODE: 'live',
    PIPERUN_BASE_URL: piperunUrl,
    PIPERUN_TOKEN,
    PIPERUN_PIPELINE_ID: '41230',
    PIPERUN_STAGE_ID: '215870',
    PIPERUN_ORIGIN_ID: '98765',
    PIPERUN_OWNER_ID: '55012',
    PIPERUN_TIMEOUT_MS: '1000',
  });
  const service = await startService(config, captured.log);
  try {
    await converse(service);
  } finally {
    await service.stop();
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([provider?.fake.stop(), openai?.stop(), piperun?.stop()]);
  await db?.drop();
});

type Running = Awaited<ReturnType<typeof startService>>;

async function converse(service: Running): Promise<void> {
  const say = async (text: string) => {
    const response = await service.app.inject({
      method: 'POST',
      url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(zapiText({ phone: LEAD.phone, text })),
    });
    expect(response.statusCode).toBe(200);
    await waitUntilSettled(service.pool);
  };

  // A model failure whose error body quotes the lead: the offline policy answers instead.
  openai.script({ status: 500, message: `upstream choked on ${LEAD.phone} / ${LEAD.email} / ${LEAD.cnpj}` });
  await say('Oi, bom dia! Vocês fazem envasadoras?');

  // The model files what the lead said, and its reply repeats the data back, as models do.
  openai.script(
    {
      toolCalls: [
        {
          name: 'update_lead',
          arguments: { name: 'João Silva', company: 'Metalúrgica Exemplo', email: LEAD.email },
        },
      ],
    },
    { reply: `Obrigado, João! Anotei o e-mail ${LEAD.email}. Qual é o CNPJ da empresa?` },
  );
  // The first attempt to send that reply fails: the retry logs the chat it was for.
  provider.fake.fail(1, { status: 500 });
  await say(`Oi, sou o João Silva da Metalúrgica Exemplo. Meu e-mail é ${LEAD.email}`);

  openai.script(
    {
      toolCalls: [
        {
          name: 'update_lead',
          arguments: {
            cnpj: LEAD.cnpj,
            city: 'Campinas',
            uf: 'SP',
            product: 'Envasadora',
            volume: '2 mil frascos por hora',
            urgency: 'imediata',
            temperature: 'quente',
          },
        },
        { name: 'create_company', arguments: { cnpj: LEAD.cnpj, name: 'Metalúrgica Exemplo' } },
        { name: 'handoff_to_human', arguments: { reason: `Lead quente, ligar em ${LEAD.phoneFormatted}` } },
      ],
    },
    { reply: `Perfeito! Um consultor vai ligar no ${LEAD.phoneFormatted} ainda hoje.` },
  );
  // PipeRun fails once, so the sync's retry path logs as well.
  piperun.fail(1, { status: 500, body: { message: `falha ao gravar ${LEAD.cnpj} ${LEAD.email}` } });
  await say(
    `CNPJ ${LEAD.cnpj}, somos de Campinas/SP. Precisamos de uma envasadora com urgência, ` +
      `2 mil frascos por hora. Meu celular: ${LEAD.phoneFormatted} ou (11) 98765-4321`,
  );
  await waitFor(
    async () => (await service.pool.query(`select 1 from crm_sync where status = 'done'`)).rowCount === 1,
    {
      what: 'the PipeRun sync',
      timeoutMs: 30_000,
      diagnose: async () => ({
        lead: (await service.pool.query('select status, temperature, profile from leads')).rows,
        sync: (await service.pool.query('select status, attempts, last_error from crm_sync')).rows,
      }),
    },
  );

  // Handed off: the fixed lines answer, whatever the lead writes.
  await say(`Confirmando: 11987654321, ${LEAD.email}, CNPJ 11222333000181`);

  // The operator looks at what was sent.
  const outbox = await service.app.inject({
    method: 'GET',
    url: '/admin/outbox',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  expect(outbox.statusCode).toBe(200);
}

describe('log redaction', () => {
  it('logged the conversation at trace level, so the search below covers real lines', () => {
    const text = captured.text();
    expect(captured.log.level).toBe('trace');
    expect(captured.lines.length).toBeGreaterThan(20);
    // The masked forms are there: the lines did mention the lead, and redaction rewrote them.
    expect(text).toContain('4321');
    expect(text).toMatch(/j\*\*\*@\*\*\*\.br/);
    expect(text).toMatch(/\*{12}81/);
  });

  it.each(Object.entries(LEAKS))('never writes the lead %s unmasked', (_what, pattern) => {
    const leaking = captured
      .text()
      .split('\n')
      .filter((line) => pattern.test(line));
    expect(leaking).toEqual([]);
  });
});

/** Every spelling a lead may use, for the checks that write them through the logger directly. */
const SPELLINGS = [
  LEAD.phone,
  LEAD.phoneFormatted,
  '+5511987654321',
  '551187654321',
  '11987654321',
  '(11) 98765-4321',
  '+55 (11) 9 8765-4321',
  '98765-4321',
  '987654321',
  `${LEAD.phone}@s.whatsapp.net`,
  LEAD.email,
  LEAD.email.toUpperCase(),
  LEAD.cnpj,
  '11222333000181',
];

describe('log redaction wherever a line carries the data', () => {
  it.each(SPELLINGS)('masks %s in messages, objects, placeholders, errors and child bindings', (spelling) => {
    const { log, text } = captureLogs('trace');
    const error = Object.assign(new Error(`upstream said: ${spelling}`), {
      body: { detail: spelling },
    });
    log.trace(`lead wrote ${spelling}`);
    log.debug({ reply: { text: `anotei ${spelling}` }, parts: [spelling] }, 'reply');
    log.info('placeholders %s %o %j', spelling, { value: spelling }, { value: spelling });
    log.warn({ err: error }, 'failed');
    log.error({ error, cause: error }, 'failed under another key');
    log.child({ chatId: spelling }).info('child');

    const leaking = text()
      .split('\n')
      .filter((line) => Object.values(LEAKS).some((pattern) => pattern.test(line)));
    expect(leaking).toEqual([]);
  });

  it("masks what Postgres quotes in a constraint violation's detail", async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const failure = await client
      .query(`insert into companies (cnpj) values ('11222333000181'), ('11222333000181')`)
      .then(
        () => undefined,
        (error: Error) => error,
      )
      .finally(() => client.end());
    expect((failure as { detail?: string } | undefined)?.detail).toContain('11222333000181');
    const { log, text } = captureLogs('trace');

    log.error({ err: failure }, 'insert failed');

    expect(text()).not.toMatch(LEAKS.cnpj as RegExp);
    expect(text()).toContain('************81');
  });
});
