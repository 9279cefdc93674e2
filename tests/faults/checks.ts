import { expect } from 'vitest';
import { VOICE_NOTE_FALLBACK } from '../../src/services/voice-note.service.js';
import type { TestService } from '../helpers/service.js';
import { isSettled, pipelineState } from '../helpers/settled.js';
import { waitFor } from '../helpers/wait.js';
import type { Lead, Sent } from './leads.js';
import { conversationStory, storyText } from './story.js';
import { HANDOFF_ASSIGNEE_ID, type World } from './world.js';

/**
 * What must hold once a run has settled, whatever failed on the way: every lead message stored
 * and answered once, every reply part sent once, one CRM record of each kind per hot lead, one
 * Chatwoot contact, conversation and message per ours, and no dead letter for a transient fault.
 */
export type SystemName = 'whatsapp' | 'llm' | 'transcription' | 'piperun' | 'chatwoot';

// The webhook request applies each Chatwoot event itself; the queued job is only its fallback, so
// an applied event (processed_at set) is done even while its job still waits for a worker.
const SIDE_QUEUES = ['crm-sync', 'chatwoot-mirror', 'inbound-event'];

/**
 * Once the faults are over, a job still waiting out a long backoff is brought forward to a second
 * from now: the retries a queue would make anyway, sooner. One second apart at the most, so a job
 * meeting a breaker that has not closed yet cannot run through its retries.
 */
async function hurryRetries(t: TestService): Promise<void> {
  await t.service.pool.query(
    `update pgboss.job set start_after = now() + interval '1 second'
     where state = 'retry' and start_after > now() + interval '1 second'`,
  );
}

async function isQuiet(world: World, t: TestService, hurry: boolean): Promise<boolean> {
  if (hurry) await hurryRetries(t);
  await world.chatwoot.settled();
  if (world.provider.echoes.some((echo) => echo.status === null)) return false;
  const busy = await t.service.pool.query<{ n: number }>(
    `select (select count(*) from pgboss.job where name = any($1) and state in ('created', 'retry', 'active'))
          + (select count(*) from chatwoot_events where processed_at is null) as n`,
    [SIDE_QUEUES],
  );
  return Number(busy.rows[0]?.n) === 0 && (await isSettled(t.service.pool));
}

/** Quiet twice in a row: a job enqueued by the last one to finish is seen by the second look. */
export async function waitUntilQuiet(
  world: World,
  t: TestService,
  { timeoutMs = 60_000, hurry = true }: { timeoutMs?: number; hurry?: boolean } = {},
): Promise<void> {
  let quietBefore = false;
  await waitFor(
    async () => {
      const quiet = await isQuiet(world, t, hurry);
      const both = quiet && quietBefore;
      quietBefore = quiet;
      return both;
    },
    {
      what: 'the service and every fake to settle',
      timeoutMs,
      intervalMs: 150,
      diagnose: async () => ({
        pipeline: await pipelineState(t.service.pool),
        jobs: (
          await t.service.pool.query(
            `select name, state, retry_count, output from pgboss.job where state in ('created', 'retry', 'active')`,
          )
        ).rows,
      }),
    },
  );
}

const rows = async <R extends Record<string, unknown>>(t: TestService, sql: string, params: unknown[] = []) =>
  (await t.service.pool.query<R>(sql, params)).rows;

export async function expectEveryMessageAnsweredOnce(
  world: World,
  t: TestService,
  sent: Sent[],
): Promise<void> {
  const stored = await rows<{
    provider_message_id: string;
    kind: string;
    media_status: string | null;
    turn_status: string | null;
    turn_id: string | null;
  }>(
    t,
    `select m.provider_message_id, m.kind, m.media_status, m.turn_id, t.status as turn_status
     from messages m left join turns t on t.id = m.turn_id where m.author = 'lead'`,
  );
  expect(stored.map((m) => m.provider_message_id).sort()).toEqual(sent.map((s) => s.messageId).sort());
  const unanswered = stored.filter((m) => m.turn_status !== 'sent');
  const stories = await Promise.all(
    unanswered.map((m) => conversationStory(world, t, { messageId: m.provider_message_id })),
  );
  expect(unanswered, `lead messages whose turn did not answer ${storyText(stories)}`).toEqual([]);
  const events = await rows<{ n: number }>(
    t,
    `select count(*)::int as n from inbound_events where event_type = 'message' and processed_at is not null`,
  );
  expect(events[0]?.n).toBe(sent.length);

  // No turn ended in silence: each answered turn wrote at least one part, and every part went out.
  const silent = await rows(
    t,
    `select t.id from turns t where t.status = 'sent' and not exists (select 1 from outbox o where o.turn_id = t.id)`,
  );
  expect(silent, 'turns that answered nothing').toEqual([]);
  const parts = await rows<{ status: string; n: number }>(
    t,
    'select status, count(*)::int as n from outbox group by status',
  );
  expect(
    parts.filter((p) => p.status !== 'sent'),
    'reply parts not sent',
  ).toEqual([]);

  // A voice note is read, or the lead is asked to write it.
  const notes = stored.filter((m) => m.kind === 'audio');
  const unread = notes.filter((m) => m.media_status !== 'transcribed');
  for (const note of unread) {
    const asked = await rows(t, 'select 1 from outbox where turn_id = $1 and text = $2', [
      note.turn_id,
      VOICE_NOTE_FALLBACK,
    ]);
    expect(asked, `voice note ${note.provider_message_id} neither read nor asked for`).toHaveLength(1);
  }
}

export async function expectEachPartSentOnce(world: World, t: TestService): Promise<void> {
  const parts = await rows<{ provider_message_id: string | null }>(
    t,
    `select provider_message_id from outbox where status = 'sent'`,
  );
  const ids = parts.map((p) => p.provider_message_id);
  expect(
    ids.filter((id) => id === null),
    'sent parts without the provider id',
  ).toEqual([]);
  const sends = world.provider.sends.map((s) => s.providerMessageId);
  expect(new Set(ids).size).toBe(ids.length);
  // Every accepted send is one of our parts, and every part was accepted once: no resend, no loss.
  const extra = world.provider.sends.filter((send) => !ids.includes(send.providerMessageId));
  const stories = await Promise.all(extra.map((send) => conversationStory(world, t, { chatId: send.to })));
  expect([...sends].sort(), `sends that are not one part each ${storyText(stories)}`).toEqual(
    [...(ids as string[])].sort(),
  );
}

export async function expectOnlyHandoffPauses(t: TestService, leads: Lead[]): Promise<void> {
  const paused = await rows<{ phone: string; paused_by: string | null }>(
    t,
    `select l.phone, c.paused_by from conversations c join leads l on l.id = c.lead_id where c.paused_at is not null`,
  );
  const hot = leads.filter((lead) => lead.kind === 'hot').map((lead) => lead.phone);
  expect(paused.map((p) => p.phone).sort()).toEqual([...hot].sort());
  expect(new Set(paused.map((p) => p.paused_by))).toEqual(new Set(['bot:handoff']));
}

/** One company, person, deal and note per synced hot lead; the refused one (if any) has none. */
export async function expectCrmOncePerLead(
  world: World,
  t: TestService,
  leads: Lead[],
  refused: number,
): Promise<void> {
  const syncs = await rows<{ status: string }>(t, 'select status from crm_sync');
  const hot = leads.filter((lead) => lead.kind === 'hot').length;
  const done = syncs.filter((s) => s.status === 'done').length;
  expect(syncs.filter((s) => s.status === 'failed')).toHaveLength(refused);
  expect(done).toBe(hot - refused);
  const { companies, persons, deals, notes } = world.piperun;
  expect(companies).toHaveLength(done);
  expect(new Set(companies.map((c) => c.cnpj)).size).toBe(done);
  expect(persons).toHaveLength(done);
  expect(deals).toHaveLength(done);
  expect(new Set(deals.map((d) => d.reference)).size).toBe(done);
  expect(notes).toHaveLength(done);
  for (const note of notes) expect(deals.some((deal) => deal.id === note.deal_id)).toBe(true);
}

export async function expectChatwootOncePerMessage(
  world: World,
  t: TestService,
  leads: Lead[],
): Promise<void> {
  const { contacts, conversations, messages } = world.chatwoot;
  expect(contacts).toHaveLength(leads.length);
  expect(conversations).toHaveLength(leads.length);
  const ours = await rows<{
    id: string;
    chatwoot_conversation_id: string | null;
    handoff_at: Date | null;
    phone: string;
  }>(
    t,
    `select c.id, c.chatwoot_conversation_id, c.handoff_at, l.phone from conversations c join leads l on l.id = c.lead_id`,
  );
  const unmirrored = await rows(t, `select id, author, text from messages where chatwoot_message_id is null`);
  expect(unmirrored, 'messages not mirrored to Chatwoot').toEqual([]);
  const hot = new Set(leads.filter((lead) => lead.kind === 'hot').map((lead) => lead.phone));
  for (const conversation of ours) {
    const id = Number(conversation.chatwoot_conversation_id);
    const stored = await rows<{ n: number }>(
      t,
      'select count(*)::int as n from messages where conversation_id = $1',
      [conversation.id],
    );
    const mirrored = messages.filter((m) => m.conversation_id === id);
    const label = `Chatwoot conversation of ${conversation.phone}`;
    expect(
      mirrored.filter((m) => !m.private),
      label,
    ).toHaveLength(stored[0]?.n ?? -1);
    const isHot = hot.has(conversation.phone);
    expect(
      mirrored.filter((m) => m.private),
      label,
    ).toHaveLength(isHot ? 1 : 0);
    if (!isHot) continue;
    expect(conversation.handoff_at, label).not.toBeNull();
    expect(world.chatwoot.conversation(id)).toMatchObject({
      status: 'open',
      assignee_id: HANDOFF_ASSIGNEE_ID,
    });
    expect(world.chatwoot.conversation(id).labels).toContain('lead-quente');
  }
}

export async function deadLetters(t: TestService) {
  return rows<{ queue: string; error: string }>(t, 'select queue, error from dead_letters order by id');
}

export async function failedJobs(t: TestService) {
  return rows(t, `select name, output from pgboss.job where state = 'failed'`);
}
