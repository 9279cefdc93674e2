import { createHash } from 'node:crypto';
import { createAgentEventRepo } from '../db/agent-event.repo.js';
import { type CrmSyncState, createCrmSyncRepo } from '../db/crm-sync.repo.js';
import { createDeadLetterRepo } from '../db/dead-letter.repo.js';
import type { JobContext, JobQueue, SendOptions } from '../db/job-queue.js';
import { createLeadRepo, type LeadProfile } from '../db/lead.repo.js';
import { type Pool, withTransaction } from '../db/pool.js';
import { isValidCnpj } from '../domain/lead/extractors/cnpj.js';
import { fold } from '../domain/lead/extractors/text.js';
import { scoreLead } from '../domain/lead/scoring.js';
import type { LeadSlots } from '../domain/lead/slots.js';
import { buildLeadSummary, renderNotePt } from '../domain/lead/summary.js';
import { errors, isUpstreamError } from '../errors.js';
import type { CompanyInput, PersonInput, PipeRunClient } from '../integrations/piperun/types.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * A qualified lead into PipeRun: company (by CNPJ), person, deal and note, each step
 * checkpointed in crm_sync as soon as PipeRun answers. A retried job resumes at the first step
 * without an id, and a step whose response was lost looks its record up before creating it, so
 * nothing is created twice. A permanent error (422) is dead-lettered at once with PipeRun's
 * message; without PIPERUN_TOKEN the sync records what it would have sent.
 */
export const CRM_SYNC_QUEUE = 'crm-sync';
export type CrmSyncJob = { leadId: string };

export type CrmSettings = {
  pipelineId?: number;
  stageId?: number;
  originId?: number;
  ownerId?: number;
};

type Deps = {
  pool: Pool;
  queue: Pick<JobQueue, 'send'>;
  client: PipeRunClient | undefined;
  settings: CrmSettings;
  metrics: Metrics;
};

const SYNCABLE = new Set(['qualified', 'handed_off']);
const PIPERUN_TEMPERATURE = { quente: 2, morno: 3, frio: 4 } as const;

const sha = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
const digits = (value: string | null) => value?.replace(/\D/g, '') ?? '';

/** Our reference on the deal and the marker in the note: how a lost create is found again. */
export const dealReference = (leadId: string) => `seleto:lead:${leadId}`;
const noteMarker = (leadId: string, hash: string) => `Ref. integração: seleto:lead:${leadId}#${hash}`;

/** PipeRun shows notes as HTML: escape, and keep the line breaks as <br>. */
function toNoteHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').split('\n').join('<br>');
}

function personName(slots: LeadSlots, phone: string | null): string {
  return slots.name ?? `Lead WhatsApp ${digits(phone).slice(-4) || 'sem nome'}`;
}

function dealTitle(slots: LeadSlots, phone: string | null): string {
  const who = slots.company ?? personName(slots, phone);
  return `${who} - ${slots.product ?? 'lead WhatsApp'}`;
}

export function createCrmSync({ pool, queue, client, settings, metrics }: Deps) {
  const cities = new Map<string, number | null>();

  /** Memory, then the crm_cities table, then PipeRun; a miss is cached too. */
  async function resolveCity(slots: LeadSlots): Promise<number | null> {
    if (!slots.city || !slots.uf || !client) return null;
    const key = `${fold(slots.city).trim()}|${slots.uf}`;
    if (cities.has(key)) return cities.get(key) ?? null;
    const repo = createCrmSyncRepo(pool);
    const cached = await repo.cachedCity(key);
    const cityId = cached ? cached.cityId : ((await client.findCity(slots.city, slots.uf))?.id ?? null);
    if (!cached) await repo.cacheCity(key, { cityId, name: slots.city, uf: slots.uf });
    cities.set(key, cityId);
    return cityId;
  }

  function companyInput(profile: LeadProfile, cityId: number | null): CompanyInput | null {
    const { slots } = profile;
    if (!slots.cnpj || !isValidCnpj(slots.cnpj)) return null;
    return {
      name: slots.company ?? `Empresa CNPJ ${slots.cnpj}`,
      cnpj: slots.cnpj,
      ...(cityId ? { cityId } : {}),
      ...(settings.ownerId ? { ownerId: settings.ownerId } : {}),
      ...(slots.email ? { emails: [slots.email] } : {}),
    };
  }

  function personInput(profile: LeadProfile, companyId: number | null, cityId: number | null): PersonInput {
    const phone = profile.slots.phone ?? profile.phone;
    return {
      name: personName(profile.slots, profile.phone),
      ...(companyId ? { companyId } : {}),
      ...(cityId ? { cityId } : {}),
      ...(settings.ownerId ? { ownerId: settings.ownerId } : {}),
      ...(profile.slots.email ? { emails: [profile.slots.email] } : {}),
      ...(phone ? { phones: [phone] } : {}),
    };
  }

  async function syncCompany(profile: LeadProfile, state: CrmSyncState, cityId: number | null) {
    const input = companyInput(profile, cityId);
    if (!input || !client) return state.companyId;
    const hash = sha(input);
    const repo = createCrmSyncRepo(pool);
    if (state.companyId === null) {
      const company =
        (await client.findCompanyByCnpj(input.cnpj as string)) ?? (await client.createCompany(input));
      await repo.checkpoint(profile.leadId, { companyId: company.id, companyHash: hash });
      return company.id;
    }
    if (state.companyHash !== hash) {
      await client.updateCompany(state.companyId, input);
      await repo.checkpoint(profile.leadId, { companyHash: hash });
    }
    return state.companyId;
  }

  async function syncPerson(
    profile: LeadProfile,
    state: CrmSyncState,
    companyId: number | null,
    cityId: number | null,
  ) {
    if (state.personId !== null || !client) return state.personId;
    const input = personInput(profile, companyId, cityId);
    const candidates = await client.findPersons({ ...(companyId ? { companyId } : {}), name: input.name });
    const phones = new Set((input.phones ?? []).map(digits));
    const emails = new Set((input.emails ?? []).map((e) => e.toLowerCase()));
    const same = candidates.find(
      (person) =>
        person.phones.some((p) => phones.has(digits(p))) ||
        person.emails.some((e) => emails.has(e.toLowerCase())),
    );
    const person = same ?? (await client.createPerson(input));
    await createCrmSyncRepo(pool).checkpoint(profile.leadId, { personId: person.id });
    return person.id;
  }

  async function syncDeal(
    profile: LeadProfile,
    state: CrmSyncState,
    ids: { companyId: number | null; personId: number },
  ) {
    if (state.dealId !== null || !client) return state.dealId as number;
    const reference = dealReference(profile.leadId);
    const pipelineId = settings.pipelineId as number;
    const existing = (await client.findDeals({ personId: ids.personId, pipelineId })).find(
      (deal) => deal.reference === reference,
    );
    const deal =
      existing ??
      (await client.createDeal({
        title: dealTitle(profile.slots, profile.phone),
        pipelineId,
        stageId: settings.stageId as number,
        ...(settings.originId ? { originId: settings.originId } : {}),
        ...(settings.ownerId ? { ownerId: settings.ownerId } : {}),
        personId: ids.personId,
        ...(ids.companyId ? { companyId: ids.companyId } : {}),
        reference,
        ...(profile.temperature ? { temperature: PIPERUN_TEMPERATURE[profile.temperature] } : {}),
      }));
    await withTransaction(pool, async (tx) => {
      await createCrmSyncRepo(tx).checkpoint(profile.leadId, { dealId: deal.id });
      await createLeadRepo(tx).setCrmDealId(profile.leadId, deal.id);
    });
    return deal.id;
  }

  /** One note per version of the lead's data: a change after the first sync adds an updated note. */
  async function syncNote(profile: LeadProfile, state: CrmSyncState, dealId: number, note: string) {
    const hash = sha(note);
    if (state.noteHash === hash || !client) return;
    const marker = noteMarker(profile.leadId, hash);
    const existing = (await client.findNotes(dealId)).find((n) => n.text.includes(marker));
    const created =
      existing ?? (await client.createNote({ dealId, text: toNoteHtml(`${note}\n\n${marker}`) }));
    await createCrmSyncRepo(pool).checkpoint(profile.leadId, { noteId: created.id, noteHash: hash });
  }

  async function noteFor(profile: LeadProfile): Promise<string> {
    const stored = await createLeadRepo(pool).findSummary(profile.leadId);
    const summary =
      stored ??
      buildLeadSummary({
        slots: profile.slots,
        score: scoreLead(profile.slots, { intent: profile.intent }),
        resumo: '',
        proximosPassos: [],
      });
    return renderNotePt({ ...summary, ...profile.slots });
  }

  async function recordStub(profile: LeadProfile, note: string) {
    const stub = {
      company: companyInput(profile, null),
      person: personInput(profile, null, null),
      deal: { title: dealTitle(profile.slots, profile.phone), reference: dealReference(profile.leadId) },
      note,
    };
    await createCrmSyncRepo(pool).finish(profile.leadId, 'not_configured', { stub });
    await createAgentEventRepo(pool).record({
      conversationId: null,
      type: 'crm_sync_stub',
      actor: 'system',
      data: { leadId: profile.leadId, reason: 'PIPERUN_TOKEN not set: recorded what would be sent' },
    });
  }

  async function failForGood(job: CrmSyncJob, ctx: JobContext, message: string, details: unknown) {
    await withTransaction(pool, async (tx) => {
      await createCrmSyncRepo(tx).finish(job.leadId, 'failed', { error: message });
      await createDeadLetterRepo(tx).record({
        sourceJobId: ctx.jobId,
        queue: CRM_SYNC_QUEUE,
        payload: job,
        error: message,
        correlationId: ctx.correlationId,
      });
      await createAgentEventRepo(tx).record({
        conversationId: null,
        type: 'crm_sync_failed',
        actor: 'system',
        data: { leadId: job.leadId, error: message, details: details ?? null },
      });
    });
    metrics.deadLetters.inc({ queue: CRM_SYNC_QUEUE });
    ctx.log.error(
      { leadId: job.leadId, error: message },
      'PipeRun refused the lead: dead-lettered, not retried',
    );
  }

  async function run(job: CrmSyncJob, ctx: JobContext): Promise<void> {
    const profile = await createLeadRepo(pool).findProfile(job.leadId);
    if (!profile || !SYNCABLE.has(profile.status)) {
      ctx.log.info(
        { leadId: job.leadId, status: profile?.status ?? null },
        'lead not ready for the CRM: skipped',
      );
      return;
    }
    const note = await noteFor(profile);
    const repo = createCrmSyncRepo(pool);
    const state = await repo.begin(job.leadId);
    if (!client) return recordStub(profile, note);
    try {
      const cityId = state.cityId ?? (await resolveCity(profile.slots));
      if (cityId !== state.cityId) await repo.checkpoint(job.leadId, { cityId });
      const companyId = await syncCompany(profile, state, cityId);
      const personId = (await syncPerson(profile, state, companyId, cityId)) as number;
      const dealId = await syncDeal(profile, state, { companyId, personId });
      await syncNote(profile, state, dealId, note);
      await repo.finish(job.leadId, 'done');
      ctx.log.info({ leadId: job.leadId, dealId }, 'lead synced to PipeRun');
    } catch (error) {
      if (isUpstreamError(error) && !error.retryable)
        return failForGood(job, ctx, error.message, error.details);
      await repo.finish(job.leadId, 'pending', { error: (error as Error).message });
      throw error;
    }
  }

  /** Queued with the turn that qualified or changed the lead, or by an operator. */
  function enqueue(leadId: string, options: Pick<SendOptions, 'correlationId' | 'tx'> = {}) {
    return queue.send(CRM_SYNC_QUEUE, { leadId } satisfies CrmSyncJob, { singletonKey: leadId, ...options });
  }

  /** What the operator sees: the checkpoint, or 404 for a lead never sent to the CRM. */
  async function status(leadId: string) {
    const state = await createCrmSyncRepo(pool).find(leadId);
    if (!state) throw errors.notFound(`CRM sync of lead ${leadId}`);
    return { ...state, mode: client ? 'live' : 'not configured' };
  }

  /** An operator's re-run: resumes from the checkpoint; audited. */
  async function rerun(leadId: string, requestId: string) {
    if (!(await createLeadRepo(pool).findProfile(leadId))) throw errors.notFound(`lead ${leadId}`);
    const jobId = await enqueue(leadId, { correlationId: requestId });
    if (!jobId) throw errors.conflict(`a CRM sync of lead ${leadId} is already waiting`);
    await createAgentEventRepo(pool).record({
      conversationId: null,
      type: 'crm_sync_rerun',
      actor: 'operator',
      data: { leadId, jobId, requestId },
    });
    return { leadId, jobId };
  }

  return { run, enqueue, status, rerun };
}

export type CrmSync = ReturnType<typeof createCrmSync>;
