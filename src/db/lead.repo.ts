import type { Intent, Temperature } from '../domain/lead/scoring.js';
import { emptySlots, type LeadSlots, LeadSlotsSchema } from '../domain/lead/slots.js';
import { type LeadSummary, LeadSummarySchema } from '../domain/lead/summary.js';
import type { Queryable } from './pool.js';

export type LeadStatus = 'qualifying' | 'qualified' | 'handed_off' | 'closed_cold';

export type LeadProfile = {
  leadId: string;
  phone: string | null;
  name: string | null;
  slots: LeadSlots;
  temperature: Temperature | null;
  score: number | null;
  reasons: string[];
  intent: Intent | null;
  status: LeadStatus;
};

type LeadRow = {
  id: string;
  phone: string | null;
  name: string | null;
  profile: unknown;
  temperature: Temperature | null;
  score: number | null;
  temperature_reasons: string[];
  intent: Intent | null;
  status: LeadStatus;
};

function toProfile(row: LeadRow): LeadProfile {
  // JSON read back from the database goes through the same schema as everything else.
  const stored = LeadSlotsSchema.partial().safeParse(row.profile);
  return {
    leadId: row.id,
    phone: row.phone,
    name: row.name,
    slots: { ...emptySlots(), ...(stored.success ? stored.data : {}) },
    temperature: row.temperature,
    score: row.score,
    reasons: row.temperature_reasons,
    intent: row.intent,
    status: row.status,
  };
}

export function createLeadRepo(db: Queryable) {
  async function findProfile(leadId: string): Promise<LeadProfile | undefined> {
    const result = await db.query<LeadRow>(
      'select id, phone, name, profile, temperature, score, temperature_reasons, intent, status from leads where id = $1',
      [leadId],
    );
    return result.rows[0] ? toProfile(result.rows[0]) : undefined;
  }

  async function saveProfile(
    profile: Omit<LeadProfile, 'phone' | 'name'>,
    summary?: LeadSummary,
  ): Promise<void> {
    await db.query(
      `update leads set profile = $2::jsonb, temperature = $3, score = $4, temperature_reasons = $5, status = $6, intent = $8,
         summary = coalesce($7, summary),
         qualified_at = case when $6 in ('qualified', 'handed_off') then coalesce(qualified_at, now()) else qualified_at end,
         closed_at = case when $6 = 'closed_cold' then coalesce(closed_at, now()) else null end,
         name = coalesce(name, $2::jsonb ->> 'name'),
         updated_at = now()
       where id = $1`,
      [
        profile.leadId,
        JSON.stringify(profile.slots),
        profile.temperature,
        profile.score,
        JSON.stringify(profile.reasons),
        profile.status,
        summary ? JSON.stringify(summary) : null,
        profile.intent,
      ],
    );
  }

  /** The structured summary stored at qualification, read back through its schema. */
  async function findSummary(leadId: string): Promise<LeadSummary | undefined> {
    const result = await db.query<{ summary: unknown }>('select summary from leads where id = $1', [leadId]);
    const parsed = LeadSummarySchema.safeParse(result.rows[0]?.summary);
    return parsed.success ? parsed.data : undefined;
  }

  /** The origin stamped on the lead's first message; null for leads older than origin tracking. */
  async function findOrigin(leadId: string): Promise<string | null> {
    const result = await db.query<{ origin: string | null }>('select origin from leads where id = $1', [
      leadId,
    ]);
    return result.rows[0]?.origin ?? null;
  }

  /** Leads per temperature for the leads_by_temperature gauge; a lead not scored yet is 'unscored'. */
  async function countByTemperature(): Promise<{ temperature: string; count: number }[]> {
    const result = await db.query<{ temperature: string; count: number }>(
      `select coalesce(temperature, 'unscored') as temperature, count(*)::int as count
       from leads group by 1`,
    );
    return result.rows;
  }

  async function setCrmDealId(leadId: string, dealId: number): Promise<void> {
    await db.query('update leads set crm_deal_id = $2, updated_at = now() where id = $1', [leadId, dealId]);
  }

  return { findProfile, saveProfile, findSummary, findOrigin, setCrmDealId, countByTemperature };
}

export type LeadRepo = ReturnType<typeof createLeadRepo>;
