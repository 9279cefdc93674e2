import { z } from 'zod';
import {
  type ConversationOverview,
  createAdminViewRepo,
  type LeadRecord,
  type ListFilter,
  type PagePosition,
} from '../db/admin-view.repo.js';
import { createCrmSyncRepo } from '../db/crm-sync.repo.js';
import { createMessageRepo } from '../db/message.repo.js';
import { createOutboxRepo, type OutboxItem, type OutboxStatus } from '../db/outbox.repo.js';
import type { Pool } from '../db/pool.js';
import { errors } from '../errors.js';
import { maskName, maskPersonalData, maskPhone, maskPii } from '../observability/pii.js';
import { recordAdminAction } from './admin-audit.service.js';

/**
 * What the operator reads about conversations and leads. Personal data (phone, e-mail, CNPJ,
 * names, message text) is masked unless the request asks to reveal it; a reveal is recorded
 * as an admin action before the data leaves, so no unmasked read goes unaudited (LGPD).
 */

const RECENT_MESSAGES = 50;
const RECENT_TURNS = 10;
const RECENT_OUTBOX = 20;
const TIMELINE_EVENTS = 200;

// Postgres prints timestamptz as '2026-11-23 10:00:00.123456+00': kept as text, microseconds and all.
const positionSchema = z.tuple([z.string().regex(/^\d{4}-\d{2}-\d{2} [\d:.]+[+-][\d:]+$/), z.uuid()]);

export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.updatedAt, position.id]), 'utf8').toString('base64url');
}

/** The position a cursor this API returned stands for; undefined for anything else. */
export function decodeCursor(cursor: string): PagePosition | undefined {
  try {
    const [updatedAt, id] = positionSchema.parse(
      JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')),
    );
    return { updatedAt, id };
  } catch {
    return undefined;
  }
}

type Masker = {
  phone: (value: string | null) => string | null;
  name: (value: string | null) => string | null;
  text: (value: string | null) => string | null;
  data: (value: unknown) => unknown;
};

const MASKED: Masker = {
  phone: (value) => (value === null ? null : maskPhone(value)),
  name: (value) => (value === null ? null : maskName(value)),
  text: (value) => (value === null ? null : maskPii(value)),
  data: maskPersonalData,
};
const REVEALED: Masker = { phone: (v) => v, name: (v) => v, text: (v) => v, data: (v) => v };

export type ListRequest = Omit<ListFilter, 'after'> & { cursor?: PagePosition; reveal: boolean };
export type Access = { reveal: boolean; requestId: string };

function conversationView(c: ConversationOverview, m: Masker) {
  return {
    id: c.id,
    leadId: c.leadId,
    provider: c.provider,
    chatId: m.text(c.chatId),
    paused: c.pausedAt !== null,
    pausedAt: c.pausedAt,
    pausedBy: c.pausedBy,
    pausedReason: m.text(c.pausedReason),
    humanTakeoverAt: c.humanTakeoverAt,
    handoffAt: c.handoffAt,
    lastInboundAt: c.lastInboundAt,
    chatwootConversationId: c.chatwootConversationId,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    lead: { ...c.lead, phone: m.phone(c.lead.phone), name: m.name(c.lead.name) },
  };
}

function leadView(l: LeadRecord, m: Masker) {
  return {
    id: l.id,
    name: m.name(l.name),
    phone: m.phone(l.phone),
    company: l.company,
    status: l.status,
    temperature: l.temperature,
    score: l.score,
    intent: l.intent,
    conversationId: l.conversationId,
    crmSyncStatus: l.crmSyncStatus,
    createdAt: l.createdAt,
    updatedAt: l.updatedAt,
  };
}

/** One page, newest first: one row more than asked tells whether another page follows. */
function outboxView(item: OutboxItem, m: Masker) {
  return { ...item, chatId: m.text(item.chatId), text: m.text(item.text), lastError: m.text(item.lastError) };
}

export type OutboxListRequest = {
  status?: OutboxStatus;
  conversationId?: string;
  limit: number;
  reveal: boolean;
};

function page<T extends { position: PagePosition }, V>(rows: T[], limit: number, view: (row: T) => V) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(view),
    nextCursor: rows.length > limit && last ? encodeCursor(last.position) : null,
  };
}

export function createAdminQueries({ pool }: { pool: Pool }) {
  const view = createAdminViewRepo(pool);

  async function auditReveal(
    access: Access,
    target: { target: string; conversationId?: string | null; details?: Record<string, unknown> },
  ) {
    if (!access.reveal) return;
    await recordAdminAction(pool, { action: 'reveal_personal_data', requestId: access.requestId, ...target });
  }

  async function listConversations({ cursor, reveal, ...filter }: ListRequest, requestId: string) {
    const rows = await view.listConversations({ ...filter, after: cursor, limit: filter.limit + 1 });
    const result = page(rows, filter.limit, (row) => conversationView(row, reveal ? REVEALED : MASKED));
    await auditReveal(
      { reveal, requestId },
      { target: 'conversations', details: { ids: result.items.map((c) => c.id) } },
    );
    return { conversations: result.items, nextCursor: result.nextCursor };
  }

  async function listLeads({ cursor, reveal, ...filter }: ListRequest, requestId: string) {
    const rows = await view.listLeads({ ...filter, after: cursor, limit: filter.limit + 1 });
    const result = page(rows, filter.limit, (row) => leadView(row, reveal ? REVEALED : MASKED));
    await auditReveal(
      { reveal, requestId },
      { target: 'leads', details: { ids: result.items.map((l) => l.id) } },
    );
    return { leads: result.items, nextCursor: result.nextCursor };
  }

  async function leadDetail(lead: LeadRecord, m: Masker) {
    const crmSync = await createCrmSyncRepo(pool).find(lead.id);
    return {
      ...leadView(lead, m),
      slots: m.data(lead.slots),
      reasons: lead.reasons,
      crmDealId: lead.crmDealId,
      qualifiedAt: lead.qualifiedAt,
      closedAt: lead.closedAt,
      crmSync: crmSync ? { ...crmSync, lastError: m.text(crmSync.lastError) } : null,
    };
  }

  async function getLead(leadId: string, access: Access) {
    const lead = await view.findLead(leadId);
    if (!lead) throw errors.notFound(`lead ${leadId}`);
    const result = await leadDetail(lead, access.reveal ? REVEALED : MASKED);
    await auditReveal(access, { target: `lead:${leadId}`, conversationId: lead.conversationId });
    return { lead: result };
  }

  async function getConversation(conversationId: string, access: Access) {
    const conversation = await view.findConversation(conversationId);
    if (!conversation) throw errors.notFound(`conversation ${conversationId}`);
    const lead = await view.findLead(conversation.leadId);
    const m = access.reveal ? REVEALED : MASKED;
    const [messages, turnCounts, recentTurns, events, outboxCounts, outbox] = await Promise.all([
      createMessageRepo(pool).recent(conversationId, RECENT_MESSAGES),
      view.turnCounts(conversationId),
      view.recentTurns(conversationId, RECENT_TURNS),
      view.timeline(conversationId, conversation.leadId, TIMELINE_EVENTS),
      view.outboxCounts(conversationId),
      createOutboxRepo(pool).list({ conversationId, limit: RECENT_OUTBOX }),
    ]);
    const result = {
      conversation: conversationView(conversation, m),
      lead: lead ? await leadDetail(lead, m) : null,
      messages: messages.map((message) => ({
        id: message.id,
        direction: message.direction,
        author: message.author,
        kind: message.kind,
        text: m.text(message.text),
        transcript: m.text(message.transcript),
        mediaStatus: message.mediaStatus,
        turnId: message.turnId,
        sentAt: message.sentAt,
      })),
      turns: { counts: turnCounts, recent: recentTurns },
      events: events.map((event) => ({ ...event, data: m.data(event.data) })),
      outbox: {
        counts: outboxCounts,
        recent: outbox.map((item) => outboxView(item, m)),
      },
    };
    await auditReveal(access, { target: `conversation:${conversationId}`, conversationId });
    return result;
  }

  /** Reply parts and their state, e.g. the uncertain ones to check by hand on the phone. */
  async function listOutbox({ reveal, ...filter }: OutboxListRequest, requestId: string) {
    const items = await createOutboxRepo(pool).list(filter);
    const outbox = items.map((item) => outboxView(item, reveal ? REVEALED : MASKED));
    await auditReveal(
      { reveal, requestId },
      { target: 'outbox', conversationId: filter.conversationId, details: { ids: items.map((i) => i.id) } },
    );
    return { outbox };
  }

  return { listConversations, listLeads, getConversation, getLead, listOutbox };
}

export type AdminQueries = ReturnType<typeof createAdminQueries>;
