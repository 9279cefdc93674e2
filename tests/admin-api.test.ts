import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeadLetterRepo } from '../src/db/dead-letter.repo.js';
import { cnpjWithCheckDigits, formatCnpj } from '../src/domain/lead/extractors/cnpj.js';
import { CRM_SYNC_QUEUE } from '../src/services/crm-sync.service.js';
import { phoneFor } from './factories.js';
import { consoleLead } from './helpers/console-lead.js';
import { startTestService, TEST_ADMIN_TOKEN, type TestService } from './helpers/service.js';
import { waitFor } from './helpers/wait.js';

/**
 * The operator's admin API on the real service: conversations and leads driven through the
 * console provider, personal data masked unless revealed, and every action audited.
 */
let t: TestService;

const HOT = {
  phone: phoneFor(901),
  name: 'Carlos Lima',
  email: 'contato901@exemplo.com.br',
  cnpj: cnpjWithCheckDigits('470019010001'),
};
const WARM_PHONE = phoneFor(902);
const QUIET_PHONE = phoneFor(903);
const UNKNOWN_ID = '00000000-0000-4000-8000-00000000abcd';

type Call = { payload?: unknown; requestId?: string; token?: string | null };

async function call(method: 'GET' | 'POST', url: string, { payload, requestId, token }: Call = {}) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token ?? TEST_ADMIN_TOKEN}`;
  if (requestId) headers['x-request-id'] = requestId;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return t.service.app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
}

async function rows(sql: string, params: unknown[] = []) {
  return (await t.service.pool.query(sql, params)).rows;
}

const auditOf = (requestId: string) =>
  rows(
    `select type, actor, conversation_id, data from agent_events where data ->> 'requestId' = $1 order by id`,
    [requestId],
  );

async function idsOf(phone: string) {
  const [row] = await rows(
    'select c.id as conversation_id, l.id as lead_id from conversations c join leads l on l.id = c.lead_id where l.phone = $1',
    [phone],
  );
  return { conversationId: row?.conversation_id as string, leadId: row?.lead_id as string };
}

beforeAll(async () => {
  t = await startTestService({ MESSAGE_BUFFER_MS: '50', WHATSAPP_MAX_SENDS_PER_MINUTE: '60000' });
  await consoleLead(t, HOT.phone).converse([
    `Olá, meu nome é ${HOT.name}, sou da Acme Alimentos, CNPJ ${formatCnpj(HOT.cnpj)}. ` +
      'Precisamos com urgência de uma envasadora para molho de tomate, 2 mil frascos por hora. ' +
      `Somos de Campinas/SP, email ${HOT.email}`,
  ]);
  await consoleLead(t, WARM_PHONE).converse(['Oi, vocês vendem envasadoras?']);
  await consoleLead(t, QUIET_PHONE).converse(['Bom dia']);
  // The hot lead's CRM sync runs as a stub (no PIPERUN_TOKEN): its event joins the timeline.
  await waitFor(async () => (await rows('select 1 from crm_sync')).length === 1, { what: 'the CRM stub' });
});
afterAll(async () => {
  await t.stop();
});

describe('admin API access', () => {
  it('answers 401 without the token on every new endpoint', async () => {
    const { conversationId, leadId } = await idsOf(HOT.phone);
    for (const [method, url] of [
      ['GET', '/admin/conversations'],
      ['GET', `/admin/conversations/${conversationId}?reveal=true`],
      ['GET', '/admin/leads'],
      ['GET', `/admin/leads/${leadId}`],
      ['POST', '/admin/dead-letters/requeue?queue=crm-sync'],
    ] as const) {
      expect((await call(method, url, { token: null })).statusCode).toBe(401);
      expect((await call(method, url, { token: 'wrong-token-0123456789' })).statusCode).toBe(401);
    }
    expect(await rows(`select 1 from agent_events where actor = 'operator'`)).toEqual([]);
  });

  it('answers 404 for unknown ids and 400 for malformed ones', async () => {
    for (const url of [`/admin/conversations/${UNKNOWN_ID}`, `/admin/leads/${UNKNOWN_ID}`]) {
      const response = await call('GET', url);
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('NOT_FOUND');
    }
    for (const url of [
      '/admin/conversations/not-a-uuid',
      '/admin/leads/42',
      '/admin/conversations?temperature=hot',
      '/admin/conversations?cursor=bm9wZQ',
      '/admin/leads?updatedSince=yesterday',
      '/admin/leads?limit=101',
      '/admin/conversations?paused=yes',
    ]) {
      const response = await call('GET', url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });
});

describe('conversations and leads', () => {
  it('masks phone, e-mail, CNPJ and names by default, and audits nothing', async () => {
    const { conversationId, leadId } = await idsOf(HOT.phone);
    const list = await call('GET', '/admin/conversations');
    const detail = await call('GET', `/admin/conversations/${conversationId}`, { requestId: 'masked-1' });
    const lead = await call('GET', `/admin/leads/${leadId}`);
    for (const response of [list, detail, lead]) {
      expect(response.statusCode).toBe(200);
      for (const secret of [HOT.phone, HOT.email, HOT.cnpj, formatCnpj(HOT.cnpj)]) {
        expect(response.body).not.toContain(secret);
      }
    }
    const listed = list.json().conversations.find((c: { id: string }) => c.id === conversationId);
    expect(listed.lead).toMatchObject({ phone: `*********${HOT.phone.slice(-4)}`, name: 'C*** L***' });
    expect(lead.json().lead).toMatchObject({
      name: 'C*** L***',
      company: 'Acme Alimentos',
      slots: { email: 'c***@***.br', cnpj: `************${HOT.cnpj.slice(-2)}`, city: 'Campinas' },
    });
    expect(await auditOf('masked-1')).toEqual([]);
  });

  it('shows one conversation with its lead, messages, turns, timeline and outbox', async () => {
    const { conversationId, leadId } = await idsOf(HOT.phone);
    const body = (await call('GET', `/admin/conversations/${conversationId}`)).json();
    expect(body.conversation).toMatchObject({
      id: conversationId,
      leadId,
      provider: 'console',
      paused: false,
    });
    expect(body.lead).toMatchObject({
      id: leadId,
      status: 'handed_off',
      temperature: 'quente',
      crmSync: { status: 'not_configured' },
    });
    expect(body.messages.map((m: { author: string }) => m.author)).toContain('lead');
    expect(body.messages.find((m: { author: string }) => m.author === 'lead').text).toContain('c***@***.br');
    expect(body.turns.counts.sent).toBeGreaterThanOrEqual(1);
    expect(body.outbox.counts.sent).toBeGreaterThanOrEqual(1);
    expect(body.outbox.recent[0].chatId).toBe(`*********${HOT.phone.slice(-4)}`);
    const types = body.events.map((e: { type: string }) => e.type);
    expect(types).toContain('crm_sync_stub');
  });

  it('reveals personal data on request and audits who saw what', async () => {
    const { conversationId, leadId } = await idsOf(HOT.phone);
    const detail = await call('GET', `/admin/conversations/${conversationId}?reveal=true`, {
      requestId: 'reveal-detail',
    });
    expect(detail.json().lead).toMatchObject({ phone: HOT.phone, name: HOT.name });
    expect(detail.json().lead.slots).toMatchObject({ email: HOT.email });
    expect(await auditOf('reveal-detail')).toEqual([
      {
        type: 'admin_action',
        actor: 'operator',
        conversation_id: conversationId,
        data: {
          action: 'reveal_personal_data',
          target: `conversation:${conversationId}`,
          requestId: 'reveal-detail',
        },
      },
    ]);

    const lead = await call('GET', `/admin/leads/${leadId}?reveal=true`, { requestId: 'reveal-lead' });
    expect(lead.json().lead.phone).toBe(HOT.phone);
    expect(await auditOf('reveal-lead')).toMatchObject([
      { conversation_id: conversationId, data: { target: `lead:${leadId}` } },
    ]);

    const list = await call('GET', '/admin/leads?reveal=true&limit=2', { requestId: 'reveal-list' });
    const [audit] = await auditOf('reveal-list');
    expect(audit).toMatchObject({ conversation_id: null, data: { target: 'leads' } });
    expect(audit?.data.ids).toEqual(list.json().leads.map((l: { id: string }) => l.id));

    for (const secret of [HOT.phone, HOT.email, HOT.cnpj]) {
      expect(JSON.stringify(t.logs)).not.toContain(secret);
    }
  });

  it('masks reply parts in the outbox list unless revealed, and audits the reveal', async () => {
    const { conversationId } = await idsOf(HOT.phone);
    const masked = await call('GET', `/admin/outbox?conversationId=${conversationId}`, {
      requestId: 'outbox-masked',
    });
    expect(masked.statusCode).toBe(200);
    const [first] = masked.json().outbox as { chatId: string }[];
    expect(first?.chatId).not.toBe(HOT.phone);
    expect(first?.chatId.endsWith(HOT.phone.slice(-4))).toBe(true);
    expect(await auditOf('outbox-masked')).toEqual([]);

    const revealed = await call('GET', `/admin/outbox?conversationId=${conversationId}&reveal=true`, {
      requestId: 'outbox-reveal',
    });
    expect((revealed.json().outbox as { chatId: string }[])[0]?.chatId).toBe(HOT.phone);
    expect(await auditOf('outbox-reveal')).toMatchObject([
      { conversation_id: conversationId, data: { action: 'reveal_personal_data', target: 'outbox' } },
    ]);
  });

  it('filters by temperature, status, pause and update time', async () => {
    const hot = await idsOf(HOT.phone);
    const ids = async (query: string, list = 'conversations') =>
      (await call('GET', `/admin/${list}?${query}`)).json()[list].map((item: { id: string }) => item.id);
    expect(await ids('temperature=quente')).toEqual([hot.conversationId]);
    expect(await ids('temperature=quente', 'leads')).toEqual([hot.leadId]);
    await call('POST', `/admin/conversations/${hot.conversationId}/pause`);
    expect(await ids('status=handed_off&paused=true')).toEqual([hot.conversationId]);
    expect(await ids('paused=false')).toHaveLength(2);
    await call('POST', `/admin/conversations/${hot.conversationId}/resume`);
    expect(await ids('paused=true')).toEqual([]);
    expect(await ids('status=closed_cold', 'leads')).toEqual([]);
    expect(await ids(`updatedSince=${encodeURIComponent('2999-01-01T00:00:00Z')}`)).toEqual([]);
    expect(await ids('updatedSince=2000-01-01T00:00:00Z')).toHaveLength(3);
  });

  it('pages newest first with a cursor, each item once', async () => {
    for (const list of ['conversations', 'leads']) {
      const seen: { id: string; updatedAt: string }[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${cursor}` : '';
        const body = (await call('GET', `/admin/${list}?limit=1${query}`)).json();
        expect(body[list].length).toBeLessThanOrEqual(1);
        seen.push(...body[list]);
        cursor = body.nextCursor;
      } while (cursor && seen.length < 10);
      expect(seen).toHaveLength(3);
      expect(new Set(seen.map((item) => item.id)).size).toBe(3);
      const times = seen.map((item) => Date.parse(item.updatedAt));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
    }
  });
});

describe('audited actions', () => {
  it('audits a pause once through its own event, and a pause that changed nothing too', async () => {
    const { conversationId } = await idsOf(QUIET_PHONE);
    const url = `/admin/conversations/${conversationId}/pause`;
    expect((await call('POST', url, { requestId: 'pause-1' })).json()).toMatchObject({ changed: true });
    expect((await call('POST', url, { requestId: 'pause-2' })).json()).toMatchObject({ changed: false });
    expect(await auditOf('pause-1')).toMatchObject([
      { type: 'bot_paused', actor: 'operator', conversation_id: conversationId },
    ]);
    expect(await auditOf('pause-2')).toMatchObject([
      {
        type: 'admin_action',
        actor: 'operator',
        conversation_id: conversationId,
        data: { action: 'pause', target: `conversation:${conversationId}`, changed: false },
      },
    ]);
    const resumed = await call('POST', `/admin/conversations/${conversationId}/resume`, {
      requestId: 'resume-1',
    });
    expect(resumed.json()).toMatchObject({ changed: true });
    expect(await auditOf('resume-1')).toMatchObject([{ type: 'bot_resumed', actor: 'operator' }]);
  });

  it('audits a CRM re-run with its request id', async () => {
    const { leadId } = await idsOf(HOT.phone);
    const response = await call('POST', `/admin/crm-sync/${leadId}/run`, { requestId: 'crm-rerun-1' });
    expect(response.statusCode).toBe(202);
    expect(await auditOf('crm-rerun-1')).toMatchObject([
      { type: 'crm_sync_rerun', actor: 'operator', data: { leadId } },
    ]);
  });

  it('requeues one dead letter and audits it', async () => {
    const { leadId } = await idsOf(WARM_PHONE);
    await createDeadLetterRepo(t.service.pool).record({
      sourceJobId: '00000000-0000-4000-8000-000000000101',
      queue: CRM_SYNC_QUEUE,
      payload: { leadId },
      error: 'PipeRun answered 422',
      correlationId: null,
    });
    const [letter] = await rows('select id from dead_letters where source_job_id = $1', [
      '00000000-0000-4000-8000-000000000101',
    ]);
    const response = await call('POST', `/admin/dead-letters/${letter?.id}/requeue`, { requestId: 'rq-one' });
    expect(response.statusCode).toBe(202);
    expect(await auditOf('rq-one')).toMatchObject([
      {
        type: 'admin_action',
        conversation_id: null,
        data: {
          action: 'requeue_dead_letter',
          target: `dead_letter:${letter?.id}`,
          jobId: response.json().jobId,
        },
      },
    ]);
    const again = await call('POST', `/admin/dead-letters/${letter?.id}/requeue`, {
      requestId: 'rq-one-again',
    });
    expect(again.statusCode).toBe(409);
    expect(await auditOf('rq-one-again')).toEqual([]);
  });
});

describe('requeueing every dead letter of a queue', () => {
  it('requeues each open letter once, however often and concurrently it is asked', async () => {
    const letters = ['201', '202', '203'].map((n) => ({
      sourceJobId: `00000000-0000-4000-8000-000000000${n}`,
      queue: CRM_SYNC_QUEUE,
      // Leads this database does not hold: the requeued syncs find nothing to send.
      payload: { leadId: `00000000-0000-4000-9000-000000000${n}` },
      error: 'PipeRun answered 422',
      correlationId: null,
    }));
    const repo = createDeadLetterRepo(t.service.pool);
    for (const letter of letters) await repo.record(letter);
    await repo.record({
      sourceJobId: '00000000-0000-4000-8000-000000000299',
      queue: 'retired-queue',
      payload: {},
      error: 'gone',
      correlationId: null,
    });

    expect((await call('POST', '/admin/dead-letters/requeue', { payload: {} })).statusCode).toBe(400);
    const retired = await call('POST', '/admin/dead-letters/requeue', {
      payload: { queue: 'retired-queue' },
    });
    expect(retired.statusCode).toBe(409);

    const [first, second] = await Promise.all([
      call('POST', '/admin/dead-letters/requeue', {
        payload: { queue: CRM_SYNC_QUEUE },
        requestId: 'rq-all-1',
      }),
      call('POST', `/admin/dead-letters/requeue?queue=${CRM_SYNC_QUEUE}`, { requestId: 'rq-all-2' }),
    ]);
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    const counts = [first, second].map((response) => response.json().counts);
    expect(counts.reduce((sum, c) => sum + c.requeued, 0)).toBe(3);
    expect(counts.map((c) => c.remaining)).toEqual([0, 0]);

    const requeued = await rows(
      `select requeued_job_id from dead_letters where source_job_id = any($1::uuid[])`,
      [letters.map((letter) => letter.sourceJobId)],
    );
    expect(new Set(requeued.map((row) => row.requeued_job_id)).size).toBe(3);
    expect(requeued.every((row) => row.requeued_job_id !== null)).toBe(true);

    const again = await call('POST', '/admin/dead-letters/requeue', {
      payload: { queue: CRM_SYNC_QUEUE },
      requestId: 'rq-all-3',
    });
    expect(again.json()).toMatchObject({
      queue: CRM_SYNC_QUEUE,
      counts: { requeued: 0, skipped: 0, remaining: 0 },
      requeued: [],
    });

    for (const requestId of ['rq-all-1', 'rq-all-2', 'rq-all-3']) {
      expect(await auditOf(requestId)).toMatchObject([
        {
          type: 'admin_action',
          actor: 'operator',
          conversation_id: null,
          data: { action: 'requeue_dead_letters', target: `queue:${CRM_SYNC_QUEUE}` },
        },
      ]);
    }
    const batches = [...(await auditOf('rq-all-1')), ...(await auditOf('rq-all-2'))];
    expect(batches.flatMap((audit) => audit.data.requeued).sort()).toEqual(
      [...first.json().requeued, ...second.json().requeued].map((r: { id: number }) => r.id).sort(),
    );
  });
});
