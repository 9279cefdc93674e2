import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cnpjWithCheckDigits, formatCnpj } from '../src/domain/lead/extractors/cnpj.js';
import { phoneFor } from './factories.js';
import { createFakePipeRun, type FakePipeRun } from './fakes/piperun.js';
import { consoleLead } from './helpers/console-lead.js';
import { startTestService, TEST_ADMIN_TOKEN, type TestService } from './helpers/service.js';
import { waitFor } from './helpers/wait.js';

/**
 * The PipeRun sync through the whole service: a lead qualified on WhatsApp (offline agent,
 * console provider) becomes company, person, deal and note in a stateful fake PipeRun.
 */
const TOKEN = '0123456789abcdef0123456789abcdef';
let fake: FakePipeRun;
let baseUrl: string;
let t: TestService | undefined;

beforeAll(async () => {
  fake = createFakePipeRun({ token: TOKEN, seed: 11 });
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

const PIPERUN_ENV = {
  PIPERUN_TOKEN: TOKEN,
  PIPERUN_PIPELINE_ID: '41230',
  PIPERUN_STAGE_ID: '215870',
  PIPERUN_ORIGIN_ID: '98765',
  PIPERUN_OWNER_ID: '55012',
  PIPERUN_TIMEOUT_MS: '1000',
  PIPERUN_MAX_REQUESTS_PER_SECOND: '50',
  PIPERUN_BREAKER_RESET_SECONDS: '2',
};

async function start(env: Record<string, string> = PIPERUN_ENV) {
  t = await startTestService({
    MESSAGE_BUFFER_MS: '50',
    WHATSAPP_MAX_SENDS_PER_MINUTE: '60000',
    JOB_MAINTENANCE_INTERVAL_SECONDS: '1',
    PIPERUN_BASE_URL: baseUrl,
    ...env,
  });
  return t;
}

const PEOPLE = ['Carlos Lima', 'Ana Souza', 'Bruno Rocha', 'Clara Dias', 'Diego Alves', 'Elisa Ramos'];
const COMPANIES = [
  'Acme Alimentos',
  'Doces Bahia',
  'Molhos Serra',
  'Sucos Vale',
  'Mel Dourado',
  'Tintas Sul',
];

/** A hot lead in one message: the offline agent hands it off, which queues the CRM sync. */
function hotLead(
  n: number,
  cnpj = cnpjWithCheckDigits(`47001${String(n).padStart(3, '0')}0001`),
  { email = true } = {},
) {
  const name = PEOPLE[n % PEOPLE.length] as string;
  const company = COMPANIES[n % COMPANIES.length] as string;
  return {
    phone: phoneFor(600 + n),
    cnpj,
    name,
    company,
    text:
      `Olá, meu nome é ${name}, sou da ${company}, CNPJ ${formatCnpj(cnpj)}. ` +
      'Precisamos com urgência de uma envasadora para molho de tomate, 2 mil frascos por hora. ' +
      `Somos de Campinas/SP${email ? `, email contato${n}@exemplo.com.br` : ''}`,
  };
}

async function qualify(service: TestService, lead: ReturnType<typeof hotLead>) {
  await consoleLead(service, lead.phone).converse([lead.text]);
}

async function rows(sql: string, params: unknown[] = []) {
  return (await (t as TestService).service.pool.query(sql, params)).rows;
}

const syncStatuses = () => rows('select status from crm_sync order by created_at');

function expectOneOfEachPerLead(leads: number) {
  expect(fake.persons).toHaveLength(leads);
  expect(fake.deals).toHaveLength(leads);
  expect(fake.notes).toHaveLength(leads);
  expect(new Set(fake.deals.map((deal) => deal.reference)).size).toBe(leads);
  for (const note of fake.notes) expect(fake.deals.some((deal) => deal.id === note.deal_id)).toBe(true);
}

describe('PipeRun sync', () => {
  it('creates one company, person, deal and note with the right fields and links', async () => {
    const service = await start();
    const lead = hotLead(1, undefined, { email: false });
    await qualify(service, lead);
    await waitFor(async () => (await syncStatuses())[0]?.status === 'done', { what: 'the sync' });

    expect(fake.companies).toHaveLength(1);
    const [company] = fake.companies;
    expect(company).toMatchObject({ name: lead.company, cnpj: formatCnpj(lead.cnpj), city_id: 4849 });
    const [person] = fake.persons;
    expect(person).toMatchObject({ name: lead.name, company_id: company?.id, city_id: 4849 });
    const [deal] = fake.deals;
    expect(deal).toMatchObject({
      pipeline_id: 41230,
      stage_id: 215870,
      origin_id: 98765,
      owner_id: 55012,
      person_id: person?.id,
      company_id: company?.id,
      temperature: 2,
    });
    expect(deal?.title).toBe(`${lead.company} - Envasadora`);
    const [note] = fake.notes;
    expect(note?.deal_id).toBe(deal?.id);
    expect(note?.text).toContain('Qualificação do lead (agente Seleto)<br>');
    expect(note?.text).toContain('E-mail: Não informado');
    const [stored] = await rows('select crm_deal_id from leads');
    expect(Number(stored?.crm_deal_id)).toBe(deal?.id);
    expect(fake.requests.every((request) => request.headers.token === TOKEN)).toBe(true);
  });

  it('links two leads with the same CNPJ to one company', async () => {
    const service = await start();
    const cnpj = cnpjWithCheckDigits('112223330001');
    await qualify(service, hotLead(2, cnpj));
    await qualify(service, hotLead(3, cnpj));
    await waitFor(async () => (await syncStatuses()).filter((s) => s.status === 'done').length === 2, {
      what: 'both syncs',
    });
    expect(fake.companies).toHaveLength(1);
    expect(fake.persons.map((person) => person.company_id)).toEqual([
      fake.companies[0]?.id,
      fake.companies[0]?.id,
    ]);
    expectOneOfEachPerLead(2);
  });

  it('records what it would send when PipeRun is not configured', async () => {
    const service = await start({});
    const lead = hotLead(4);
    await qualify(service, lead);
    await waitFor(async () => (await syncStatuses())[0]?.status === 'not_configured', { what: 'the stub' });
    const [sync] = await rows('select stub_payload from crm_sync');
    expect(sync?.stub_payload.deal.title).toBe(`${lead.company} - Envasadora`);
    expect(sync?.stub_payload.note).toContain('Temperatura: Quente');
    expect(fake.requests).toHaveLength(0);
    const status = await service.service.app.inject({
      method: 'GET',
      url: `/admin/crm-sync/${(await rows('select id from leads'))[0]?.id}`,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(status.json()).toMatchObject({ crmSync: { status: 'not_configured', mode: 'not configured' } });
  });

  it('sends a 422 to the dead letters with PipeRun message, without retrying', async () => {
    const service = await start();
    fake.rejectPersons({ name: 'O campo name é obrigatório.' });
    await qualify(service, hotLead(5));
    const [letter] = await waitFor(
      async () => {
        const found = await rows(`select error from dead_letters where queue = 'crm-sync'`);
        return found.length > 0 ? found : undefined;
      },
      { what: 'the dead letter' },
    );
    expect(letter?.error).toContain('O campo name é obrigatório.');
    const [sync] = await rows('select status, attempts from crm_sync');
    expect(sync).toMatchObject({ status: 'failed', attempts: 1 });
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/persons'))).toHaveLength(1);

    // Fixed on PipeRun's side, the operator re-runs it: it resumes after the company.
    fake.rejectPersons(undefined);
    const leadId = (await rows('select id from leads'))[0]?.id;
    const rerun = await service.service.app.inject({
      method: 'POST',
      url: `/admin/crm-sync/${leadId}/run`,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(rerun.statusCode).toBe(202);
    await waitFor(async () => (await syncStatuses())[0]?.status === 'done', { what: 'the re-run' });
    expect(fake.companies).toHaveLength(1);
    expectOneOfEachPerLead(1);
  });
});

describe('PipeRun sync under faults', () => {
  it('creates exactly one of each per lead when 30% of calls fail, responses included', async () => {
    const service = await start();
    fake.failRate(0.3, [
      { status: 500 },
      { status: 429, retryAfterSeconds: 1 },
      { delayMs: 1_500 },
      { dropAfterCreate: true },
    ]);
    const leads = [6, 7, 8, 9].map((n) => hotLead(n));
    for (const lead of leads) await qualify(service, lead);
    await waitFor(
      async () => (await syncStatuses()).filter((s) => s.status === 'done').length === leads.length,
      {
        what: 'every sync done despite the faults',
        timeoutMs: 100_000,
        intervalMs: 250,
      },
    );
    expect(fake.companies).toHaveLength(leads.length);
    expectOneOfEachPerLead(leads.length);
    expect(await rows(`select 1 from dead_letters`)).toHaveLength(0);
  }, 120_000);

  it('waits out an outage with the breaker open and resumes when PipeRun is back', async () => {
    const service = await start();
    fake.down();
    const leads = [10, 11].map((n) => hotLead(n));
    for (const lead of leads) await qualify(service, lead);
    const logged = (text: string) => service.logs.some((line) => line.msg?.includes(text));
    await waitFor(() => logged('PipeRun circuit opened'), { what: 'the breaker to open', timeoutMs: 30_000 });
    // While PipeRun is down the syncs wait (job retries), nothing is dead-lettered.
    await waitFor(async () => (await rows('select 1 from crm_sync where attempts >= 2')).length > 0, {
      what: 'a sync to be retried',
      timeoutMs: 30_000,
    });
    expect(await rows(`select 1 from dead_letters`)).toHaveLength(0);
    const callsWhileOpen = fake.requests.length;
    fake.up();
    await waitFor(
      async () => (await syncStatuses()).filter((s) => s.status === 'done').length === leads.length,
      {
        what: 'the syncs after recovery',
        timeoutMs: 100_000,
        intervalMs: 250,
      },
    );
    expect(callsWhileOpen).toBeGreaterThan(0);
    expect(logged('PipeRun circuit closed')).toBe(true);
    expectOneOfEachPerLead(leads.length);
  }, 180_000);
});
