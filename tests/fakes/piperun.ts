import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { closeServer, listenOnLoopback } from '../helpers/loopback-server.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { createFaults, readRequest } from './fake-http.js';

/**
 * A stateful fake of PipeRun's CRM API v1 (shared/contracts/piperun.md) on 127.0.0.1, under
 * `/v1` like the real base URL. It keeps companies, persons, deals and notes in memory, answers
 * in PipeRun's envelope with its documented quirks (POST /companies answers `data` as a
 * one-element array; a single contact comes back as an object, not a list; person
 * `custom_fields` is `{}`), pages lists with an opaque keyset cursor, and validates like
 * Laravel (422 with a Portuguese message per field, as in the error_422_validation fixture).
 *
 * Choices where the contract is unconfirmed:
 * - `name` filters (cities, companies, persons) behave like MySQL `LIKE '%name%'` under its
 *   default `_ai_ci` collation: substring, case- and accent-insensitive. So "itu" also finds
 *   "Itupeva", and clients must pick the exact match themselves (§5.1).
 * - A search miss answers 200 + `data: []`, or 404 "Not Found" after `configure({ missStatus: 404 })`.
 * - `next` is set whenever a page is full, even when nothing follows (a keyset cursor cannot
 *   know), so clients meet both loop ends: `next: null` and an empty page.
 * - Linked ids (`city_id`, `company_id`, `person_id`, `deal_id`) must exist (422 otherwise).
 */

export const FAKE_PIPERUN_TOKEN = 'f1e2d3c4b5a697887766554433221100';

export type PipeRunFault =
  | { status: number; body?: unknown; retryAfterSeconds?: number }
  /** Does the work at once, answers late (a client timeout leaves the record created). */
  | { delayMs: number }
  /** Does the work, then destroys the socket: the answer to a create is lost. */
  | { dropAfterCreate: true };

export type FakeCity = { id: number; name: string; uf: string };
type Timestamps = { created_at: string; updated_at: string };
export type FakeCompany = Timestamps & {
  id: number;
  name: string;
  company_name: string | null;
  cnpj: string | null;
  city_id: number | null;
  owner_id: number | null;
  external_code: string | null;
  contact_emails: Array<{ email: string }>;
  contact_phones: Array<{ phone: string }>;
};
export type FakePerson = Timestamps & {
  id: number;
  name: string;
  company_id: number | null;
  city_id: number | null;
  owner_id: number | null;
  job_title: string | null;
  contact_emails: Array<{ email: string }>;
  contact_phones: Array<{ phone: string }>;
};
export type FakeDeal = Timestamps & {
  id: number;
  title: string;
  pipeline_id: number;
  stage_id: number;
  origin_id: number | null;
  owner_id: number | null;
  person_id: number | null;
  company_id: number | null;
  reference: string | null;
  temperature: number | null;
  status: number;
};
export type FakeNote = Timestamps & {
  id: number;
  text: string;
  deal_id: number | null;
  company_id: number | null;
  person_id: number | null;
  user_id: number | null;
};

export type RecordedRequest = {
  method: string;
  /** Path without the query, e.g. `/v1/persons`. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
  at: Date;
};

export type FakePipeRunOptions = {
  token?: string;
  seed?: number;
  /** Largest page served whatever `show` asks (PipeRun clamps to 200); small to exercise paging. */
  pageSize?: number;
  missStatus?: 200 | 404;
};

export const FAKE_CITIES: readonly FakeCity[] = [
  { id: 4849, name: 'Campinas', uf: 'SP' },
  { id: 5270, name: 'São Paulo', uf: 'SP' },
  { id: 4862, name: 'Itu', uf: 'SP' },
  { id: 4863, name: 'Itupeva', uf: 'SP' },
  { id: 3106, name: 'Belo Horizonte', uf: 'MG' },
  { id: 4209, name: 'Joinville', uf: 'SC' },
  { id: 1304, name: 'São Paulo de Olivença', uf: 'AM' },
];

type Resource = 'companies' | 'persons' | 'deals' | 'notes';
type Reply = { status: number; body: unknown; headers?: Record<string, string> };
type Body = Record<string, unknown>;
type Problems = Record<string, string>;
type FieldSpec = {
  type: 'text' | 'int' | 'cnpj' | 'emails' | 'phones';
  required?: boolean;
  /** The resource (or `cities`) this id must exist in. */
  ref?: Resource | 'cities';
  /** Stored under this key (contact lists are camelCase in, snake_case out). */
  as?: string;
};

const INT: FieldSpec = { type: 'int' };
const TEXT: FieldSpec = { type: 'text' };
const FIELDS: Record<Resource, Record<string, FieldSpec>> = {
  companies: {
    name: { type: 'text', required: true },
    company_name: TEXT,
    cnpj: { type: 'cnpj' },
    city_id: { type: 'int', ref: 'cities' },
    owner_id: INT,
    external_code: TEXT,
    contactEmails: { type: 'emails', as: 'contact_emails' },
    contactPhones: { type: 'phones', as: 'contact_phones' },
  },
  persons: {
    name: { type: 'text', required: true },
    company_id: { type: 'int', ref: 'companies' },
    city_id: { type: 'int', ref: 'cities' },
    owner_id: INT,
    job_title: TEXT,
    contactEmails: { type: 'emails', as: 'contact_emails' },
    contactPhones: { type: 'phones', as: 'contact_phones' },
  },
  deals: {
    title: { type: 'text', required: true },
    pipeline_id: { type: 'int', required: true },
    stage_id: { type: 'int', required: true },
    origin_id: INT,
    owner_id: INT,
    person_id: { type: 'int', ref: 'persons' },
    company_id: { type: 'int', ref: 'companies' },
    reference: TEXT,
    temperature: INT,
  },
  notes: {
    text: { type: 'text', required: true },
    deal_id: { type: 'int', ref: 'deals' },
    company_id: { type: 'int', ref: 'companies' },
    person_id: { type: 'int', ref: 'persons' },
    user_id: INT,
  },
};

/** `like` is `LIKE '%x%'`, `equals` is `= 'x'`, both under the `_ai_ci` collation. */
type FilterKind = 'like' | 'equals' | 'int' | 'cnpj';
const FILTERS: Record<Resource | 'cities', Record<string, FilterKind>> = {
  cities: { name: 'like', uf: 'equals' },
  companies: { cnpj: 'cnpj', name: 'like', external_code: 'equals', city_id: 'int' },
  persons: { id: 'int', company_id: 'int', city_id: 'int', name: 'like' },
  deals: { person_id: 'int', company_id: 'int', pipeline_id: 'int', stage_id: 'int', owner_id: 'int' },
  notes: { deal_id: 'int', company_id: 'int', person_id: 'int' },
};

const FIRST_IDS: Record<Resource, number> = {
  companies: 8_812_400,
  persons: 17_340_100,
  deals: 33_125_100,
  notes: 98_120_400,
};
const MAX_SHOW = 200;
const ACCOUNT_ID = 21873;

const fault = (status: number, message: string, extra: Body = {}): Reply => ({
  status,
  body: { success: false, message, ...extra },
});
const notFound = (message = 'Not Found') => fault(404, message);
/** MySQL's `_ai_ci` collation: accents and case do not matter. */
const collate = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const digitsOf = (value: string) => value.replace(/\D/g, '');
const formatCnpj = (value: string) => {
  const d = digitsOf(value);
  return d.length === 14
    ? `${d.slice(0, 2)}.${d.slice(2, 5)}.${d.slice(5, 8)}/${d.slice(8, 12)}-${d.slice(12)}`
    : value;
};
const encodeCursor = (id: number) =>
  Buffer.from(JSON.stringify({ id, _pointsToNextItems: true })).toString('base64url');
function decodeCursor(cursor: string): number | null {
  try {
    const id = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'number' ? id : null;
  } catch {
    return null;
  }
}
const timestamp = () => new Date().toISOString().slice(0, 19).replace('T', ' ');
/** §1 quirk: one contact comes back as an object, several as a list. */
const contactsOut = <T>(list: T[]) => (list.length === 1 ? list[0] : list);

export function createFakePipeRun({
  token = FAKE_PIPERUN_TOKEN,
  seed = 42,
  pageSize: defaultPageSize = MAX_SHOW,
  missStatus: defaultMissStatus = 200,
}: FakePipeRunOptions = {}) {
  let random = seededRandom(seed);
  const companies: FakeCompany[] = [];
  const persons: FakePerson[] = [];
  const deals: FakeDeal[] = [];
  const notes: FakeNote[] = [];
  const cities: FakeCity[] = [...FAKE_CITIES];
  const store = { companies, persons, deals, notes } as Record<Resource, Array<{ id: number }>>;
  const requests: RecordedRequest[] = [];
  const rejections = new Map<Resource, Problems>();
  const timers = new Set<NodeJS.Timeout>();
  const faults = createFaults<PipeRunFault>(() => random());
  let nextIds = { ...FIRST_IDS };
  let settings = { pageSize: defaultPageSize, missStatus: defaultMissStatus };
  let isDown = false;

  const exists = (where: Resource | 'cities', id: number) =>
    (where === 'cities' ? cities : store[where]).some((record) => record.id === id);

  function readField(body: Body, key: string, spec: FieldSpec, problems: Problems): unknown {
    const value = body[key];
    if (value === undefined || value === null || value === '') {
      if (spec.required) problems[key] = `O campo ${key} é obrigatório.`;
      return spec.type === 'emails' || spec.type === 'phones' ? [] : null;
    }
    if (spec.type === 'emails' || spec.type === 'phones') {
      const field = spec.type === 'emails' ? 'email' : 'phone';
      if (!Array.isArray(value)) problems[key] = `O campo ${key} deve ser uma lista.`;
      const items = Array.isArray(value) ? (value as Body[]) : [];
      return items.flatMap((item, index) => {
        const text = item?.[field];
        if (typeof text === 'string' && text.trim() !== '') return [{ [field]: text }];
        problems[`${key}.${index}.${field}`] = `O campo ${key}.${index}.${field} é obrigatório.`;
        return [];
      });
    }
    if (spec.type === 'int') {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        problems[key] = `O campo ${key} deve ser um número inteiro.`;
      } else if (spec.ref && !exists(spec.ref, value)) {
        problems[key] = `O campo ${key} selecionado é inválido.`;
      }
      return value;
    }
    if (typeof value !== 'string') problems[key] = `O campo ${key} deve ser uma string.`;
    return spec.type === 'cnpj' ? formatCnpj(String(value)) : value;
  }

  /** Create: every field, defaults included. Update: only the fields sent. */
  function readFields(resource: Resource, body: Body, isCreate: boolean) {
    const problems: Problems = { ...(isCreate ? rejections.get(resource) : undefined) };
    const values: Body = {};
    for (const [key, spec] of Object.entries(FIELDS[resource])) {
      if (isCreate || key in body) values[spec.as ?? key] = readField(body, key, spec, problems);
    }
    return { values, problems };
  }

  function present(resource: Resource | 'cities', record: { id: number }): unknown {
    if (resource === 'cities') return record;
    const shown: Body = { ...record, account_id: ACCOUNT_ID };
    if ('contact_emails' in record) {
      const contacts = record as FakeCompany;
      shown.contact_emails = contactsOut(contacts.contact_emails);
      shown.contact_phones = contactsOut(contacts.contact_phones);
      shown.custom_fields = resource === 'persons' ? {} : [];
      shown.city = cities.find((city) => city.id === contacts.city_id) ?? null;
    }
    return shown;
  }

  function create(resource: Resource, body: Body): Reply {
    const { values, problems } = readFields(resource, body, true);
    if (Object.keys(problems).length > 0) return fault(422, 'Unprocessable Entity', { data: problems });
    const now = timestamp();
    const record = { id: nextIds[resource]++, ...values, created_at: now, updated_at: now };
    if (resource === 'deals') Object.assign(record, { status: 0 });
    store[resource].push(record);
    const data = present(resource, record);
    // §1: the documented POST /companies answer wraps the company in a one-element array.
    return {
      status: 201,
      body: { success: true, message: 'Created', data: resource === 'companies' ? [data] : data },
    };
  }

  function update(resource: Resource, id: number, body: Body): Reply {
    const record = store[resource].find((item) => item.id === id);
    if (!record) return notFound('No query results for model.');
    const { values, problems } = readFields(resource, body, false);
    if (Object.keys(problems).length > 0) return fault(422, 'Unprocessable Entity', { data: problems });
    Object.assign(record, values, { updated_at: timestamp() });
    return { status: 200, body: { success: true, message: 'OK', data: present(resource, record) } };
  }

  function matches(record: Body, key: string, kind: FilterKind, wanted: string): boolean {
    const value = record[key];
    if (kind === 'int') return value === Number(wanted);
    if (typeof value !== 'string') return false;
    if (kind === 'cnpj') return digitsOf(value) === digitsOf(wanted);
    if (kind === 'like') return collate(value).includes(collate(wanted));
    return collate(value) === collate(wanted);
  }

  function list(resource: Resource | 'cities', query: Record<string, string>): Reply {
    const records: Array<{ id: number }> = resource === 'cities' ? cities : store[resource];
    const filters = Object.entries(FILTERS[resource]).filter(([key]) => query[key] !== undefined);
    const found = records
      .filter((record) => filters.every(([key, kind]) => matches(record, key, kind, query[key] ?? '')))
      .sort((a, b) => a.id - b.id);
    const after = query.cursor ? decodeCursor(query.cursor) : 0;
    if (after === null) return fault(400, 'Invalid cursor.');
    const show = Math.min(Math.max(Number(query.show) || MAX_SHOW, 1), MAX_SHOW, settings.pageSize);
    const page = found.filter((record) => record.id > after).slice(0, show);
    if (page.length === 0 && !query.cursor && settings.missStatus === 404) return notFound();
    const last = page.at(-1);
    const next = page.length === show && last ? encodeCursor(last.id) : null;
    return {
      status: 200,
      body: {
        success: true,
        message: 'OK',
        data: page.map((record) => present(resource, record)),
        meta: { cursor: { current: query.cursor || null, prev: null, next, count: null } },
      },
    };
  }

  function route(method: string, segments: string[], query: Record<string, string>, body: unknown): Reply {
    const [version, resource, idText, ...rest] = segments;
    const known = resource === 'cities' || (resource !== undefined && resource in FIELDS);
    if (version !== 'v1' || !known || rest.length > 0) return notFound();
    const collection = resource as Resource | 'cities';
    if (typeof body === 'string') return fault(422, 'Malformed JSON.');
    const fields = (body ?? {}) as Body;
    if (idText === undefined) {
      if (method === 'GET') return list(collection, query);
      if (method === 'POST' && collection !== 'cities') return create(collection, fields);
      return fault(405, 'Method Not Allowed');
    }
    const id = Number(idText);
    if (method === 'PUT' && collection !== 'cities') return update(collection, id, fields);
    if (method !== 'GET') return fault(405, 'Method Not Allowed');
    const records: Array<{ id: number }> = collection === 'cities' ? cities : store[collection];
    const record = records.find((item) => item.id === id);
    if (!record) return notFound('No query results for model.');
    return { status: 200, body: { success: true, message: 'OK', data: present(collection, record) } };
  }

  const nextFault = faults.next;

  function respond(res: ServerResponse, reply: Reply): void {
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  }

  /**
   * Outage, auth and injected faults come before the route, as a gateway would answer them.
   * Undefined when the answer comes later (delay) or never (drop).
   */
  function answer(req: IncomingMessage, res: ServerResponse, run: () => Reply): Reply | undefined {
    if (isDown) return fault(503, 'Service Unavailable');
    if (req.headers.token !== token) return fault(401, 'Unauthorized');
    const injected = nextFault();
    if (!injected) return run();
    if ('dropAfterCreate' in injected) {
      run();
      res.socket?.destroy();
      return undefined;
    }
    if ('delayMs' in injected) {
      const reply = run();
      const timer = setTimeout(() => {
        timers.delete(timer);
        respond(res, reply);
      }, injected.delayMs);
      timers.add(timer);
      return undefined;
    }
    const message =
      injected.status === 429 ? 'Too Many Attempts.' : (STATUS_CODES[injected.status] ?? 'Error');
    const retryAfter = injected.retryAfterSeconds;
    return {
      status: injected.status,
      body: injected.body ?? { success: false, message },
      headers: retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { method, path, query, body } = await readRequest(req);
    requests.push({ method, path, query, headers: req.headers, body, at: new Date() });
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    const reply = answer(req, res, () => route(method, segments, query, body));
    if (reply) respond(res, reply);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else respond(res, fault(500, String(error)));
    });
  });

  /** Every create of `resource` answers 422 with these field messages, until called with undefined. */
  function rejectCreates(resource: Resource, fields: Problems | undefined): void {
    if (fields) rejections.set(resource, fields);
    else rejections.delete(resource);
  }

  function reset(): void {
    random = seededRandom(seed);
    for (const list of [companies, persons, deals, notes, requests]) list.length = 0;
    faults.reset();
    cities.splice(0, cities.length, ...FAKE_CITIES);
    rejections.clear();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    nextIds = { ...FIRST_IDS };
    settings = { pageSize: defaultPageSize, missStatus: defaultMissStatus };
    isDown = false;
  }

  return {
    companies,
    persons,
    deals,
    notes,
    cities,
    requests,
    /** `baseUrl` is what PIPERUN_BASE_URL would be (`…/v1`). */
    async start() {
      const url = `http://127.0.0.1:${await listenOnLoopback(server)}`;
      return { url, baseUrl: `${url}/v1` };
    },
    async stop() {
      reset();
      await closeServer(server);
    },
    reset,
    configure(changes: Partial<typeof settings>) {
      settings = { ...settings, ...changes };
    },
    /** Stores a record as a POST would (validation included); the answer's body is returned. */
    insert(resource: Resource, body: Body): unknown {
      const reply = create(resource, body);
      if (reply.status !== 201)
        throw new Error(`fake PipeRun refused the ${resource}: ${JSON.stringify(reply.body)}`);
      return reply.body;
    },
    /** The next `count` authenticated calls get `fault`. */
    fail(count: number, injected: PipeRunFault) {
      faults.fail(count, injected);
    },
    /** Each authenticated call gets one of `faults` with probability `probability` (seeded dice). */
    failRate(probability: number, list: PipeRunFault[]) {
      faults.failRate(probability, list);
    },
    /** Faults injected by `fail` and `failRate` since the last reset. */
    faultsInjected: () => faults.injected(),
    rejectCreates,
    rejectPersons: (fields: Problems | undefined) => rejectCreates('persons', fields),
    /** An outage: every call answers 503 until `up()`. */
    down() {
      isDown = true;
    },
    up() {
      isDown = false;
    },
  };
}

export type FakePipeRun = ReturnType<typeof createFakePipeRun>;
