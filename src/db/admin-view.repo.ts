import type { Intent, Temperature } from '../domain/lead/scoring.js';
import { emptySlots, type LeadSlots, LeadSlotsSchema } from '../domain/lead/slots.js';
import type { LeadStatus } from './lead.repo.js';
import type { Queryable } from './pool.js';

/**
 * What the operator reads through the admin API: conversations and leads across the whole
 * base, newest first, and the parts of one conversation's history. Read-only; unmasked.
 */

/** Keyset position: the row's updated_at exactly as Postgres prints it (microseconds) and its id. */
export type PagePosition = { updatedAt: string; id: string };

export type ListFilter = {
  status?: LeadStatus;
  temperature?: Temperature;
  paused?: boolean;
  updatedSince?: Date;
  after?: PagePosition;
  limit: number;
};

export type LeadRecord = {
  id: string;
  phone: string | null;
  name: string | null;
  company: string | null;
  status: LeadStatus;
  temperature: Temperature | null;
  score: number | null;
  intent: Intent | null;
  conversationId: string | null;
  crmSyncStatus: string | null;
  slots: LeadSlots;
  reasons: string[];
  crmDealId: number | null;
  qualifiedAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  position: PagePosition;
};

export type ConversationOverview = {
  id: string;
  leadId: string;
  provider: string;
  chatId: string;
  pausedAt: Date | null;
  pausedBy: string | null;
  pausedReason: string | null;
  humanTakeoverAt: Date | null;
  handoffAt: Date | null;
  lastInboundAt: Date | null;
  chatwootConversationId: number | null;
  createdAt: Date;
  updatedAt: Date;
  lead: { phone: string | null; name: string | null; status: LeadStatus; temperature: Temperature | null };
  position: PagePosition;
};

export type TurnOverview = {
  id: string;
  status: string;
  promptVersion: string | null;
  usage: unknown;
  createdAt: Date;
  finishedAt: Date | null;
};

export type TimelineEvent = {
  id: number;
  conversationId: string | null;
  type: string;
  actor: string;
  data: unknown;
  createdAt: Date;
};

// Both lists share their filters and keyset order; `page` is the table the list is made of.
function listWhere(filter: ListFilter, page: 'c' | 'l') {
  const params: unknown[] = [
    filter.status ?? null,
    filter.temperature ?? null,
    filter.paused ?? null,
    filter.updatedSince ?? null,
    filter.after?.updatedAt ?? null,
    filter.after?.id ?? null,
    filter.limit,
  ];
  const sql = `where ($1::text is null or l.status = $1)
      and ($2::text is null or l.temperature = $2)
      and ($3::boolean is null or (c.paused_at is not null) = $3)
      and ($4::timestamptz is null or ${page}.updated_at >= $4)
      and ($5::timestamptz is null or (${page}.updated_at, ${page}.id) < ($5::timestamptz, $6::uuid))
    order by ${page}.updated_at desc, ${page}.id desc limit $7`;
  return { sql, params };
}

const CONVERSATION_SELECT = `select c.*, c.updated_at::text as position_at,
    l.phone, l.name, l.status, l.temperature
  from conversations c join leads l on l.id = c.lead_id`;

type ConversationViewRow = {
  id: string;
  lead_id: string;
  provider: string;
  chat_id: string;
  paused_at: Date | null;
  paused_by: string | null;
  paused_reason: string | null;
  human_takeover_at: Date | null;
  handoff_at: Date | null;
  last_inbound_at: Date | null;
  chatwoot_conversation_id: string | null;
  created_at: Date;
  updated_at: Date;
  position_at: string;
  phone: string | null;
  name: string | null;
  status: LeadStatus;
  temperature: Temperature | null;
};

function toConversation(row: ConversationViewRow): ConversationOverview {
  return {
    id: row.id,
    leadId: row.lead_id,
    provider: row.provider,
    chatId: row.chat_id,
    pausedAt: row.paused_at,
    pausedBy: row.paused_by,
    pausedReason: row.paused_reason,
    humanTakeoverAt: row.human_takeover_at,
    handoffAt: row.handoff_at,
    lastInboundAt: row.last_inbound_at,
    chatwootConversationId:
      row.chatwoot_conversation_id === null ? null : Number(row.chatwoot_conversation_id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lead: { phone: row.phone, name: row.name, status: row.status, temperature: row.temperature },
    position: { updatedAt: row.position_at, id: row.id },
  };
}

// A lead and its conversation are one-to-one (conversations.lead_id is unique).
const LEAD_SELECT = `select l.*, l.updated_at::text as position_at, c.id as conversation_id,
    s.status as crm_sync_status
  from leads l
  left join conversations c on c.lead_id = l.id
  left join crm_sync s on s.lead_id = l.id`;

type LeadViewRow = {
  id: string;
  phone: string | null;
  name: string | null;
  profile: unknown;
  status: LeadStatus;
  temperature: Temperature | null;
  score: number | null;
  intent: Intent | null;
  temperature_reasons: string[];
  crm_deal_id: string | null;
  qualified_at: Date | null;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  position_at: string;
  conversation_id: string | null;
  crm_sync_status: string | null;
};

function toLead(row: LeadViewRow): LeadRecord {
  // JSON read back from the database goes through the same schema as everything else.
  const stored = LeadSlotsSchema.partial().safeParse(row.profile);
  const slots = { ...emptySlots(), ...(stored.success ? stored.data : {}) };
  return {
    id: row.id,
    phone: row.phone,
    name: row.name,
    company: slots.company,
    status: row.status,
    temperature: row.temperature,
    score: row.score,
    intent: row.intent,
    conversationId: row.conversation_id,
    crmSyncStatus: row.crm_sync_status,
    slots,
    reasons: row.temperature_reasons,
    crmDealId: row.crm_deal_id === null ? null : Number(row.crm_deal_id),
    qualifiedAt: row.qualified_at,
    closedAt: row.closed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    position: { updatedAt: row.position_at, id: row.id },
  };
}

type CountRow = { key: string; count: number };
const toCounts = (rows: CountRow[]): Record<string, number> =>
  Object.fromEntries(rows.map((row) => [row.key, row.count]));

export function createAdminViewRepo(db: Queryable) {
  async function listConversations(filter: ListFilter): Promise<ConversationOverview[]> {
    const { sql, params } = listWhere(filter, 'c');
    const result = await db.query<ConversationViewRow>(`${CONVERSATION_SELECT} ${sql}`, params);
    return result.rows.map(toConversation);
  }

  async function findConversation(id: string): Promise<ConversationOverview | undefined> {
    const result = await db.query<ConversationViewRow>(`${CONVERSATION_SELECT} where c.id = $1`, [id]);
    return result.rows[0] ? toConversation(result.rows[0]) : undefined;
  }

  async function listLeads(filter: ListFilter): Promise<LeadRecord[]> {
    const { sql, params } = listWhere(filter, 'l');
    const result = await db.query<LeadViewRow>(`${LEAD_SELECT} ${sql}`, params);
    return result.rows.map(toLead);
  }

  async function findLead(id: string): Promise<LeadRecord | undefined> {
    const result = await db.query<LeadViewRow>(`${LEAD_SELECT} where l.id = $1`, [id]);
    return result.rows[0] ? toLead(result.rows[0]) : undefined;
  }

  async function turnCounts(conversationId: string): Promise<Record<string, number>> {
    const result = await db.query<CountRow>(
      'select status as key, count(*)::int as count from turns where conversation_id = $1 group by status',
      [conversationId],
    );
    return toCounts(result.rows);
  }

  async function recentTurns(conversationId: string, limit: number): Promise<TurnOverview[]> {
    const result = await db.query<{
      id: string;
      status: string;
      prompt_version: string | null;
      usage: unknown;
      created_at: Date;
      finished_at: Date | null;
    }>(
      `select id, status, prompt_version, usage, created_at, finished_at from turns
       where conversation_id = $1 order by created_at desc limit $2`,
      [conversationId, limit],
    );
    return result.rows.map((row) => ({
      id: row.id,
      status: row.status,
      promptVersion: row.prompt_version,
      usage: row.usage,
      createdAt: row.created_at,
      finishedAt: row.finished_at,
    }));
  }

  async function outboxCounts(conversationId: string): Promise<Record<string, number>> {
    const result = await db.query<CountRow>(
      'select status as key, count(*)::int as count from outbox where conversation_id = $1 group by status',
      [conversationId],
    );
    return toCounts(result.rows);
  }

  /**
   * The newest `limit` events of the conversation, oldest first, with its lead's CRM events,
   * which are recorded without a conversation.
   */
  async function timeline(conversationId: string, leadId: string, limit: number): Promise<TimelineEvent[]> {
    const result = await db.query<{
      id: number;
      conversation_id: string | null;
      type: string;
      actor: string;
      data: unknown;
      created_at: Date;
    }>(
      `select * from (
         select id, conversation_id, type, actor, data, created_at from agent_events
         where conversation_id = $1
         union all
         select id, conversation_id, type, actor, data, created_at from agent_events
         where conversation_id is null and data ->> 'leadId' = $2
         order by id desc limit $3
       ) e order by id`,
      [conversationId, leadId, limit],
    );
    return result.rows.map((row) => ({
      id: row.id,
      conversationId: row.conversation_id,
      type: row.type,
      actor: row.actor,
      data: row.data,
      createdAt: row.created_at,
    }));
  }

  return {
    listConversations,
    findConversation,
    listLeads,
    findLead,
    turnCounts,
    recentTurns,
    outboxCounts,
    timeline,
  };
}

export type AdminViewRepo = ReturnType<typeof createAdminViewRepo>;
