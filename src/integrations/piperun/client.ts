import type { z } from 'zod';
import { fold } from '../../domain/lead/extractors/text.js';
import { UpstreamError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { companyBody, dealBody, noteBody, personBody } from './request-bodies.js';
import {
  cityListResponseSchema,
  companyListResponseSchema,
  companyResponseSchema,
  dealListResponseSchema,
  dealResponseSchema,
  noteListResponseSchema,
  noteResponseSchema,
  personListResponseSchema,
  personResponseSchema,
} from './schemas.js';
import {
  type Call,
  createPipeRunTransport,
  type PipeRunClientSettings,
  type PipeRunMetrics,
  type Query,
  SYSTEM,
} from './transport.js';
import type { PipeRunCity, PipeRunClient } from './types.js';

export type { PipeRunClientSettings, PipeRunMetrics } from './transport.js';

/**
 * PipeRun CRM API v1 (shared/contracts/piperun.md §5): our inputs to PipeRun's JSON, its
 * tolerant answers (schemas.ts) to our types, cursor paging, search misses as "none". Throttle,
 * retries and the breaker live in transport.ts.
 */

// §2: PipeRun's own client clamps `show` to 1–200.
const PAGE_SIZE = 200;
// A cursor that never ends must not loop forever: 100 pages of 200 is far more than one
// lead's links (the whole city list is ≈ 5.6k).
const MAX_PAGES = 100;

type ListPage<T> = { data: T[]; meta: { cursor?: { next: string | null } | null | undefined } };

const sameName = (name: string) => fold(name.trim()).replace(/\s+/g, ' ');
const cnpjDigits = (cnpj: string | null) => (cnpj ?? '').replace(/\D/g, '');

export function createPipeRunClient(
  settings: PipeRunClientSettings,
  log: Logger,
  metrics?: PipeRunMetrics,
): PipeRunClient {
  const { send, isCircuitOpen, close } = createPipeRunTransport(settings, log, metrics);

  function parse<S extends z.ZodType>(schema: S, json: unknown, call: Call): z.output<S> {
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    const message = `unexpected answer to ${call.method} ${call.path} (${problems.join('; ')})`;
    // A create that answered 2xx did create its record, even if we cannot read it.
    throw new UpstreamError(SYSTEM, message, {
      retryable: false,
      mayHaveSucceeded: call.method !== 'GET',
      details: parsed.error.issues,
    });
  }

  async function write<T>(call: Call, schema: z.ZodType<{ data: T }>): Promise<T> {
    return parse(schema, await send(call), call).data;
  }

  async function listAll<T>(call: Call, schema: z.ZodType<ListPage<T>>): Promise<T[]> {
    const items: T[] = [];
    // §2: the cursor goes empty on the first call, like PipeRun's own client.
    let cursor = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const pageCall = { ...call, query: { ...call.query, show: PAGE_SIZE, cursor }, isMissEmpty: true };
      const json = await send(pageCall);
      if (json === undefined) return items;
      const { data, meta } = parse(schema, json, pageCall);
      items.push(...data);
      const next = meta.cursor?.next ?? null;
      if (!next || data.length === 0 || next === cursor) return items;
      cursor = next;
    }
    log.warn({ system: SYSTEM, operation: call.operation, pages: MAX_PAGES }, 'PipeRun paging stopped early');
    return items;
  }

  const post = (operation: string, path: string, body: unknown): Call => ({
    operation,
    method: 'POST',
    path,
    body,
  });
  const search = (operation: string, path: string, query: Query): Call => ({
    operation,
    method: 'GET',
    path,
    query,
  });

  return {
    async findCity(name, uf) {
      const wantedUf = uf.trim().toUpperCase();
      const query = { name: name.trim().replace(/\s+/g, ' '), uf: wantedUf };
      const cities = await listAll(search('findCity', '/cities', query), cityListResponseSchema);
      // §5.1: the name filter's semantics are unconfirmed, so the exact match is ours.
      const wanted = sameName(name);
      const isSame = (city: PipeRunCity) =>
        sameName(city.name) === wanted && city.uf.trim().toUpperCase() === wantedUf;
      return cities.find(isSame) ?? null;
    },
    async findCompanyByCnpj(cnpj) {
      const digits = cnpjDigits(cnpj);
      const call = {
        ...search('findCompanyByCnpj', '/companies', { cnpj: digits, show: 1 }),
        isMissEmpty: true,
      };
      const json = await send(call);
      const [company] = json === undefined ? [] : parse(companyListResponseSchema, json, call).data;
      if (!company) return null;
      // With show=1, an ignored filter would hand us some other company: never adopt it.
      if (cnpjDigits(company.cnpj) !== digits) {
        log.warn({ system: SYSTEM, companyId: company.id }, 'PipeRun CNPJ search answered another CNPJ');
        return null;
      }
      return company;
    },
    createCompany: (input) =>
      write(post('createCompany', '/companies', companyBody(input)), companyResponseSchema),
    updateCompany: (id, input) =>
      write(
        { operation: 'updateCompany', method: 'PUT', path: `/companies/${id}`, body: companyBody(input) },
        companyResponseSchema,
      ),
    findPersons: ({ companyId, name }) =>
      listAll(search('findPersons', '/persons', { company_id: companyId, name }), personListResponseSchema),
    createPerson: (input) => write(post('createPerson', '/persons', personBody(input)), personResponseSchema),
    findDeals: ({ personId, pipelineId }) =>
      listAll(
        search('findDeals', '/deals', { person_id: personId, pipeline_id: pipelineId }),
        dealListResponseSchema,
      ),
    createDeal: (input) => write(post('createDeal', '/deals', dealBody(input)), dealResponseSchema),
    findNotes: (dealId) =>
      listAll(search('findNotes', '/notes', { deal_id: dealId }), noteListResponseSchema),
    createNote: (input) => write(post('createNote', '/notes', noteBody(input)), noteResponseSchema),
    isCircuitOpen,
    close,
  };
}
