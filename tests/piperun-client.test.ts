import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPipeRunClient,
  type PipeRunClientSettings,
  type PipeRunMetrics,
} from '../src/integrations/piperun/client.js';
import {
  cityListResponseSchema,
  companyListResponseSchema,
  companyResponseSchema,
  dealResponseSchema,
  errorBodySchema,
  noteResponseSchema,
  personListResponseSchema,
  personResponseSchema,
} from '../src/integrations/piperun/schemas.js';
import type { PipeRunClient } from '../src/integrations/piperun/types.js';
import { createFakePipeRun, FAKE_PIPERUN_TOKEN, type FakePipeRun } from './fakes/piperun.js';
import { upstreamFailure } from './helpers/failure.js';
import { captureLogs } from './helpers/logs.js';

const CAMPINAS = 4849;
const OWNER = 55012;
const CNPJ = '34567891000184';
const CNPJ_FORMATTED = '34.567.891/0001-84';
// Tests go fast: no throttle to speak of, millisecond backoff, short Retry-Afters honoured.
const FAST = {
  timeoutMs: 1_000,
  maxRequestsPerSecond: 1_000,
  retries: 2,
  minRetryDelayMs: 10,
  maxRetryAfterMs: 2_000,
  breakerResetMs: 60_000,
};

let fake: FakePipeRun;
let baseUrl: string;
const clients: PipeRunClient[] = [];

beforeAll(async () => {
  fake = createFakePipeRun({ seed: 5 });
  ({ baseUrl } = await fake.start());
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await fake.stop();
});
beforeEach(() => fake.reset());

function pipeRun(
  overrides: Partial<PipeRunClientSettings> = {},
  log = captureLogs().log,
  metrics?: PipeRunMetrics,
) {
  const client = createPipeRunClient(
    { baseUrl, token: FAKE_PIPERUN_TOKEN, ...FAST, ...overrides },
    log,
    metrics,
  );
  clients.push(client);
  return client;
}

const calls = (method: string, path: string) =>
  fake.requests.filter((request) => request.method === method && request.path === `/v1${path}`);

function fixture(name: string): { request: { body?: unknown }; response: { body: unknown } } {
  return JSON.parse(readFileSync(new URL(`./fixtures/piperun/${name}.json`, import.meta.url), 'utf8'));
}

function seedCompany(cnpj = CNPJ): number {
  const body = fake.insert('companies', { name: 'Horizonte Metalúrgica', cnpj, city_id: CAMPINAS }) as {
    data: Array<{ id: number }>;
  };
  return body.data[0]?.id as number;
}

describe('PipeRun schemas accept the documented answers', () => {
  it('reads a created company as an object or as the one-element array of the spec', () => {
    const body = fixture('company_created').response.body as { data: unknown };
    const expected = { id: 8812399, name: 'Tintas Nogueira', cnpj: '27.451.963/0001-68', cityId: CAMPINAS };
    expect(companyResponseSchema.parse(body).data).toEqual(expected);
    expect(companyResponseSchema.parse({ ...body, data: [body.data] }).data).toEqual(expected);
  });

  it('reads a CNPJ search hit with its cursor meta', () => {
    const page = companyListResponseSchema.parse(fixture('company_search_hit').response.body);
    expect(page.data).toEqual([
      { id: 8812345, name: 'Horizonte Metalúrgica', cnpj: CNPJ_FORMATTED, cityId: CAMPINAS },
    ]);
    expect(page.meta.cursor?.next).toBeNull();
    expect(companyListResponseSchema.parse(fixture('company_search_miss').response.body).data).toEqual([]);
    expect(cityListResponseSchema.parse(fixture('city_lookup').response.body).data).toEqual([
      { id: CAMPINAS, uf: 'SP', name: 'Campinas' },
    ]);
  });

  it('reads a person whose contact lists are single objects and company_id is missing', () => {
    expect(personResponseSchema.parse(fixture('person_created').response.body).data).toEqual({
      id: 17340021,
      name: 'Mariana Souza Albuquerque',
      companyId: null,
      emails: ['mariana.albuquerque@tintasnogueira.com.br'],
      phones: ['5511987650001'],
    });
  });

  it('reads a created deal and note', () => {
    expect(dealResponseSchema.parse(fixture('deal_created').response.body).data).toEqual({
      id: 33125077,
      title: 'Tintas Nogueira - lead WhatsApp',
      reference: 'chatwoot:3:482',
      personId: 17340021,
    });
    const note = noteResponseSchema.parse(fixture('note_created').response.body).data;
    expect(note).toMatchObject({ id: 98120345, dealId: 33125077 });
    expect(note.text).toContain('<br>Empresa: Tintas Nogueira');
  });

  it('reads error bodies: the 422 field map and the " message" typo', () => {
    expect(errorBodySchema.parse(fixture('error_422_validation').response.body)).toEqual({
      message: 'Unprocessable Entity',
      data: { name: 'O campo name é obrigatório.' },
    });
    expect(errorBodySchema.parse({ success: false, ' message': 'Unauthorized' }).message).toBe(
      'Unauthorized',
    );
  });

  it('tolerates legacy page meta, an empty PHP meta, blanks and numeric-string ids', () => {
    const legacy = {
      success: true,
      data: [{ id: '12', name: 'Pessoa', company_id: '', contact_emails: [], contact_phones: null }],
      meta: { total: 1, count: 1, per_page: 15, current_page: 1, total_pages: 1, links: [] },
    };
    expect(personListResponseSchema.parse(legacy)).toMatchObject({
      data: [{ id: 12, companyId: null, emails: [], phones: [] }],
      meta: { current_page: 1, total_pages: 1 },
    });
    const bare = { success: true, data: [{ id: 1, name: 'X', cnpj: '', city_id: null }], meta: [] };
    expect(companyListResponseSchema.parse(bare).data).toEqual([
      { id: 1, name: 'X', cnpj: null, cityId: null },
    ]);
  });
});

describe('PipeRun client: calls and field mapping', () => {
  it('finds a city by its exact name whatever the accents and case, comparing the UF', async () => {
    const client = pipeRun();
    expect(await client.findCity('sao paulo', 'sp')).toEqual({ id: 5270, name: 'São Paulo', uf: 'SP' });
    expect(await client.findCity('SÃO  PAULO ', 'SP')).toEqual({ id: 5270, name: 'São Paulo', uf: 'SP' });
    // The fake's LIKE finds Itu and Itupeva; only the exact one is taken.
    expect(await client.findCity('itu', 'SP')).toMatchObject({ id: 4862, name: 'Itu' });
    expect(await client.findCity('Campinas', 'MG')).toBeNull();
    expect(await client.findCity('Atlântida', 'SP')).toBeNull();
    const [first] = calls('GET', '/cities');
    expect(first?.query).toMatchObject({ name: 'sao paulo', uf: 'SP', show: '200' });
    expect(first?.headers.token).toBe(FAKE_PIPERUN_TOKEN);
  });

  it('creates a company with PipeRun field names and reads the array answer back', async () => {
    const company = await pipeRun().createCompany({
      name: 'Horizonte Metalúrgica',
      cnpj: CNPJ,
      cityId: CAMPINAS,
      ownerId: OWNER,
      emails: ['compras@horizonte.com.br'],
      phones: ['+55 19 3241-0098'],
      externalCode: 'seleto:company:1',
    });
    const [request] = calls('POST', '/companies');
    expect(request?.body).toEqual({
      name: 'Horizonte Metalúrgica',
      cnpj: CNPJ_FORMATTED,
      city_id: CAMPINAS,
      owner_id: OWNER,
      external_code: 'seleto:company:1',
      contactEmails: [{ email: 'compras@horizonte.com.br' }],
      contactPhones: [{ phone: '+55 19 3241-0098' }],
    });
    expect(request?.headers).toMatchObject({ token: FAKE_PIPERUN_TOKEN, 'content-type': 'application/json' });
    expect(fake.companies).toHaveLength(1);
    expect(fake.companies[0]).toMatchObject({ cnpj: CNPJ_FORMATTED, city_id: CAMPINAS, owner_id: OWNER });
    expect(company).toEqual({
      id: fake.companies[0]?.id,
      name: 'Horizonte Metalúrgica',
      cnpj: CNPJ_FORMATTED,
      cityId: CAMPINAS,
    });
  });

  it('updates a company with only the fields given', async () => {
    const id = seedCompany();
    const updated = await pipeRun().updateCompany(id, {
      name: 'Horizonte Metal',
      emails: ['novo@horizonte.com.br'],
    });
    expect(calls('PUT', `/companies/${id}`)[0]?.body).toEqual({
      name: 'Horizonte Metal',
      contactEmails: [{ email: 'novo@horizonte.com.br' }],
    });
    expect(updated).toEqual({ id, name: 'Horizonte Metal', cnpj: CNPJ_FORMATTED, cityId: CAMPINAS });
    expect(fake.companies[0]).toMatchObject({
      city_id: CAMPINAS,
      contact_emails: [{ email: 'novo@horizonte.com.br' }],
    });
  });

  it('finds a company by CNPJ in either format; a miss is null whether 200 [] or 404', async () => {
    const id = seedCompany();
    const client = pipeRun();
    expect(await client.findCompanyByCnpj(CNPJ_FORMATTED)).toMatchObject({ id, cnpj: CNPJ_FORMATTED });
    expect(calls('GET', '/companies')[0]?.query).toEqual({ cnpj: CNPJ, show: '1' });
    expect(await client.findCompanyByCnpj('27451963000168')).toBeNull();
    fake.configure({ missStatus: 404 });
    expect(await client.findCompanyByCnpj('27451963000168')).toBeNull();
    expect(await client.findPersons({ companyId: id })).toEqual([]);
    expect(calls('GET', '/companies')).toHaveLength(3);
  });

  it('creates a person, deal and note linked to each other', async () => {
    const companyId = seedCompany();
    const client = pipeRun();
    const person = await client.createPerson({
      name: 'Mariana Souza',
      companyId,
      cityId: CAMPINAS,
      ownerId: OWNER,
      emails: ['mariana@horizonte.com.br'],
      phones: ['5511987650001'],
    });
    expect(calls('POST', '/persons')[0]?.body).toEqual({
      name: 'Mariana Souza',
      company_id: companyId,
      city_id: CAMPINAS,
      owner_id: OWNER,
      contactEmails: [{ email: 'mariana@horizonte.com.br' }],
      contactPhones: [{ phone: '5511987650001' }],
    });
    // The fake answers a single contact as an object (§1 quirk): read back as lists.
    expect(person).toEqual({
      id: fake.persons[0]?.id,
      name: 'Mariana Souza',
      companyId,
      emails: ['mariana@horizonte.com.br'],
      phones: ['5511987650001'],
    });

    const input = { title: 'Horizonte - Envasadora', pipelineId: 41230, stageId: 215870, originId: 98765 };
    const reference = 'seleto:lead:7c0e';
    const deal = await client.createDeal({
      ...input,
      ownerId: OWNER,
      personId: person.id,
      companyId,
      reference,
      temperature: 2,
    });
    expect(calls('POST', '/deals')[0]?.body).toEqual({
      title: 'Horizonte - Envasadora',
      pipeline_id: 41230,
      stage_id: 215870,
      origin_id: 98765,
      owner_id: OWNER,
      person_id: person.id,
      company_id: companyId,
      reference,
      temperature: 2,
    });
    expect(deal).toEqual({ id: fake.deals[0]?.id, title: input.title, reference, personId: person.id });

    const note = await client.createNote({ dealId: deal.id, text: 'Resumo<br>Produto: envasadora' });
    expect(calls('POST', '/notes')[0]?.body).toEqual({
      text: 'Resumo<br>Produto: envasadora',
      deal_id: deal.id,
    });
    expect(note).toEqual({ id: fake.notes[0]?.id, dealId: deal.id, text: 'Resumo<br>Produto: envasadora' });
    expect(fake.notes[0]?.deal_id).toBe(fake.deals[0]?.id);
  });

  it('follows the cursor across pages until it runs out', async () => {
    fake.configure({ pageSize: 2 });
    const companyId = seedCompany();
    const other = seedCompany('27451963000168');
    for (const n of [1, 2, 3, 4, 5]) fake.insert('persons', { name: `Pessoa ${n}`, company_id: companyId });
    fake.insert('persons', { name: 'Pessoa de outra empresa', company_id: other });
    const client = pipeRun();

    const found = await client.findPersons({ companyId });
    expect(found.map((person) => person.name)).toEqual([
      'Pessoa 1',
      'Pessoa 2',
      'Pessoa 3',
      'Pessoa 4',
      'Pessoa 5',
    ]);
    const pages = calls('GET', '/persons');
    expect(pages.map((page) => page.query.cursor)).toEqual(['', expect.any(String), expect.any(String)]);
    expect(pages[1]?.query.cursor).not.toBe('');

    // A full last page: the fake still sends `next`, and the empty page after it ends the loop.
    const deal = fake.insert('deals', { title: 'D', pipeline_id: 1, stage_id: 2, reference: 'r' }) as {
      data: { id: number };
    };
    for (const text of ['a', 'b', 'c', 'd']) fake.insert('notes', { text, deal_id: deal.data.id });
    expect((await client.findNotes(deal.data.id)).map((note) => note.text)).toEqual(['a', 'b', 'c', 'd']);
    expect(calls('GET', '/notes')).toHaveLength(3);
    expect(await client.findDeals({ personId: 1, pipelineId: 1 })).toEqual([]);
  });
});

describe('PipeRun client: failures', () => {
  it('retries a 500 on a read and a 503 on a create, then succeeds', async () => {
    const client = pipeRun();
    fake.fail(1, { status: 500 });
    expect(await client.findCity('Campinas', 'SP')).toMatchObject({ id: CAMPINAS });
    expect(calls('GET', '/cities')).toHaveLength(2);
    fake.fail(1, { status: 503 });
    await client.createCompany({ name: 'Acme' });
    expect(calls('POST', '/companies')).toHaveLength(2);
    expect(fake.companies).toHaveLength(1);
  });

  it('waits out a short Retry-After before trying again', async () => {
    fake.fail(1, { status: 429, retryAfterSeconds: 1 });
    expect(await pipeRun().findCity('Joinville', 'SC')).toMatchObject({ id: 4209 });
    const [first, second] = calls('GET', '/cities');
    expect((second?.at.getTime() ?? 0) - (first?.at.getTime() ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('leaves a Retry-After longer than it waits to the job queue', async () => {
    fake.fail(1, { status: 429, retryAfterSeconds: 30 });
    const startedAt = Date.now();
    const error = await upstreamFailure(pipeRun().findCity('Joinville', 'SC'));
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 30_000, upstreamStatus: 429 });
    expect(error.message).toContain('Too Many Attempts.');
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(calls('GET', '/cities')).toHaveLength(1);
  });

  it('does not retry a 422 and shows PipeRun field messages', async () => {
    const error = await upstreamFailure(pipeRun().createPerson({ name: '', phones: ['5511987650001'] }));
    expect(error.message).toBe('piperun: HTTP 422: Unprocessable Entity (name: O campo name é obrigatório.)');
    expect(error).toMatchObject({ retryable: false, details: { name: 'O campo name é obrigatório.' } });
    expect(calls('POST', '/persons')).toHaveLength(1);
  });

  it('does not retry a rejected token and says which variable to check', async () => {
    const error = await upstreamFailure(
      pipeRun({ token: '00000000000000000000000000000000' }).findCity('Itu', 'SP'),
    );
    expect(error).toMatchObject({ retryable: false, upstreamStatus: 401 });
    expect(error.message).toContain('Unauthorized');
    expect(error.message).toContain('PIPERUN_TOKEN');
    expect(fake.requests).toHaveLength(1);
  });

  it('does not repeat a create whose answer was lost; the record is found by lookup', async () => {
    fake.fail(1, { dropAfterCreate: true });
    const client = pipeRun();
    const error = await upstreamFailure(client.createCompany({ name: 'Acme', cnpj: CNPJ }));
    expect(error).toMatchObject({ retryable: true, mayHaveSucceeded: true });
    expect(calls('POST', '/companies')).toHaveLength(1);
    expect(fake.companies).toHaveLength(1);
    expect(await client.findCompanyByCnpj(CNPJ)).toMatchObject({ id: fake.companies[0]?.id });
  });

  it('does not repeat a create that timed out, but repeats a read that did', async () => {
    const client = pipeRun({ timeoutMs: 200 });
    const companyId = seedCompany();
    fake.fail(1, { delayMs: 600 });
    const error = await upstreamFailure(client.createPerson({ name: 'Lenta', companyId }));
    expect(error).toMatchObject({ retryable: true, mayHaveSucceeded: true });
    expect(error.message).toContain('timed out');
    expect(calls('POST', '/persons')).toHaveLength(1);
    expect(fake.persons).toHaveLength(1);

    fake.fail(1, { delayMs: 600 });
    expect(await client.findPersons({ companyId, name: 'Lenta' })).toHaveLength(1);
    expect(calls('GET', '/persons')).toHaveLength(2);
  });

  it('opens the breaker after repeated outages, then fails fast without calling', async () => {
    const opened: number[] = [];
    const metrics = {
      calls: { inc: () => undefined },
      circuitOpen: { set: (v: number) => void opened.push(v) },
    };
    const client = pipeRun({ retries: 1 }, captureLogs().log, metrics);
    fake.down();
    for (let i = 0; i < 10 && !client.isCircuitOpen(); i++) {
      expect((await upstreamFailure(client.findCity('Itu', 'SP'))).upstreamStatus).toBe(503);
    }
    expect(client.isCircuitOpen()).toBe(true);
    expect(opened).toEqual([1]);
    const before = fake.requests.length;
    const error = await upstreamFailure(client.createCompany({ name: 'Acme' }));
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toContain('circuit open');
    expect(fake.requests).toHaveLength(before);
  });

  it('does not count refusals (422, 404) as an outage', async () => {
    const client = pipeRun();
    fake.configure({ missStatus: 404 });
    for (let i = 0; i < 6; i++) {
      await upstreamFailure(client.createNote({ dealId: 999, text: 'x' }));
      expect(await client.findNotes(999)).toEqual([]);
    }
    expect(client.isCircuitOpen()).toBe(false);
  });

  it('spaces calls to the configured rate, shared by concurrent calls', async () => {
    const client = pipeRun({ maxRequestsPerSecond: 20 });
    const count = 6;
    const startedAt = Date.now();
    await Promise.all(Array.from({ length: count }, () => client.findCity('Itupeva', 'SP')));
    const arrivals = calls('GET', '/cities')
      .map((request) => request.at.getTime() - startedAt)
      .sort((a, b) => a - b);
    expect(arrivals).toHaveLength(count);
    // At 20/s the k-th call may not leave before k × 50 ms. Measured from the start, not between
    // arrivals: network and connection set-up only delay an arrival, so they cannot hide a burst
    // (2 ms for the millisecond clock and timer granularity).
    arrivals.forEach((arrivedAfterMs, k) => {
      expect(arrivedAfterMs).toBeGreaterThanOrEqual(k * 50 - 2);
    });
  });

  it('never logs the token, even while retrying', async () => {
    const logs = captureLogs();
    fake.fail(2, { status: 502 });
    await pipeRun({}, logs.log).findCity('Campinas', 'SP');
    expect(logs.lines.some((line) => line.msg === 'PipeRun call retried')).toBe(true);
    expect(logs.text()).not.toContain(FAKE_PIPERUN_TOKEN);
    expect(logs.text()).not.toContain('Campinas');
  });
});
