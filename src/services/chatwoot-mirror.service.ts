import { createConversationRepo } from '../db/conversation.repo.js';
import type { JobContext, JobQueue, SendOptions } from '../db/job-queue.js';
import { createLeadRepo } from '../db/lead.repo.js';
import type { Pool } from '../db/pool.js';
import { renderNotePt } from '../domain/lead/summary.js';
import type { ChatwootClient } from '../integrations/chatwoot/types.js';
import type { Metrics } from '../observability/metrics.js';
import { contentHash } from './chatwoot-events.service.js';
import type { ConversationControl } from './conversation-control.service.js';

/**
 * The SDRs' view in Chatwoot: each WhatsApp conversation mirrored into the API inbox (contact and
 * conversation found or created by phone), lead messages posted as incoming and bot replies as
 * outgoing, in order; and, when the agent hands a hot lead off, one private note with the
 * summary, labels, status open and the assignment, after which the bot stays silent. One job per
 * conversation at a time (stately queue), so order holds and nothing is created twice.
 */
export const CHATWOOT_MIRROR_QUEUE = 'chatwoot-mirror';
export type ChatwootMirrorJob = { conversationId: string };

export type ChatwootMirrorSettings = {
  mirror: boolean;
  handoffLabels: string[];
  handoffAssigneeId?: number;
  handoffTeamId?: number;
};

type Deps = {
  pool: Pool;
  queue: Pick<JobQueue, 'send'>;
  client: ChatwootClient;
  control: Pick<ConversationControl, 'pause'>;
  settings: ChatwootMirrorSettings;
  metrics: Pick<Metrics, 'handoffs'>;
};

type Linked = { chatwootConversationId: number };

type MirrorRow = {
  id: number;
  author: 'lead' | 'bot' | 'human';
  kind: string;
  text: string | null;
  transcript: string | null;
};

function contentOf(message: MirrorRow): string {
  if (message.text) return message.text;
  if (message.transcript) return `🎤 ${message.transcript}`;
  return `[${message.kind === 'audio' ? 'áudio' : message.kind}]`;
}

export function createChatwootMirror({ pool, queue, client, control, settings, metrics }: Deps) {
  async function link(conversationId: string): Promise<Linked | undefined> {
    const row = await pool.query<{
      chatwoot_conversation_id: string | null;
      phone: string | null;
      name: string | null;
    }>(
      `select c.chatwoot_conversation_id, l.phone, coalesce(l.name, l.profile ->> 'name') as name
       from conversations c join leads l on l.id = c.lead_id where c.id = $1`,
      [conversationId],
    );
    const found = row.rows[0];
    if (!found) return undefined;
    if (found.chatwoot_conversation_id)
      return { chatwootConversationId: Number(found.chatwoot_conversation_id) };
    if (!found.phone) return undefined;
    const contact =
      (await client.findContact(found.phone)) ??
      (await client.createContact({ phone: found.phone, name: found.name }));
    const conversation =
      (await client.findOpenConversation(contact.id)) ??
      (await client.createConversation({
        contactId: contact.id,
        sourceId: contact.sourceId,
        status: 'pending',
      }));
    await createConversationRepo(pool).linkChatwoot(conversationId, {
      contactId: contact.id,
      conversationId: conversation.id,
    });
    return { chatwootConversationId: conversation.id };
  }

  /** Our posts are registered before the POST: Chatwoot may echo them back before it answers. */
  async function postOurs(conversationId: string, linked: Linked, content: string, isPrivate = false) {
    const expected = await pool.query<{ id: number }>(
      'insert into chatwoot_outgoing (conversation_id, content_hash) values ($1, $2) returning id',
      [conversationId, contentHash(content)],
    );
    const created = await client.createMessage(linked.chatwootConversationId, {
      content,
      type: 'outgoing',
      private: isPrivate,
    });
    await pool.query(
      `update chatwoot_outgoing set chatwoot_message_id = $2 where id = $1 and chatwoot_message_id is null`,
      [expected.rows[0]?.id, created.id],
    );
    return created;
  }

  function post(conversationId: string, linked: Linked, message: MirrorRow) {
    const content = contentOf(message);
    if (message.author === 'lead') {
      return client.createMessage(linked.chatwootConversationId, { content, type: 'incoming' });
    }
    return postOurs(conversationId, linked, content);
  }

  /**
   * A retried job may follow a post whose answer was lost after Chatwoot stored the message
   * (Chatwoot keeps no idempotency key): each unlinked message of Chatwoot's with the same type
   * and content, in order, is taken for ours instead of posting it twice.
   */
  async function findLostPosts(conversationId: string, linked: Linked, pending: MirrorRow[]) {
    const known = await pool.query<{ id: string }>(
      'select chatwoot_message_id as id from messages where conversation_id = $1 and chatwoot_message_id is not null',
      [conversationId],
    );
    const linkedIds = new Set(known.rows.map((row) => Number(row.id)));
    const theirs = (await client.listMessages(linked.chatwootConversationId)).filter(
      (message) => !message.private && !linkedIds.has(message.id),
    );
    const found = new Map<number, number>();
    for (const message of pending) {
      const type = message.author === 'lead' ? 'incoming' : 'outgoing';
      const index = theirs.findIndex((m) => m.type === type && m.content === contentOf(message));
      if (index < 0) continue;
      found.set(message.id, (theirs[index] as { id: number }).id);
      theirs.splice(index, 1);
    }
    return found;
  }

  async function mirrorMessages(conversationId: string, linked: Linked, isRetry: boolean) {
    const pending = await pool.query<MirrorRow>(
      `select id, author, kind, text, transcript from messages
       where conversation_id = $1 and chatwoot_message_id is null
       order by id`,
      [conversationId],
    );
    const lost =
      isRetry && pending.rows.length > 0
        ? await findLostPosts(conversationId, linked, pending.rows)
        : new Map<number, number>();
    for (const message of pending.rows) {
      const lostId = lost.get(message.id);
      const created = lostId ? { id: lostId } : await post(conversationId, linked, message);
      await pool.query('update messages set chatwoot_message_id = $2 where id = $1', [
        message.id,
        created.id,
      ]);
    }
    return pending.rows.length;
  }

  /** Once per conversation: the summary for the SDR, labels, open, assigned; then the bot is quiet. */
  async function handoff(conversationId: string, linked: Linked, ctx: JobContext) {
    const state = await pool.query<{ lead_id: string; handoff_at: Date | null; status: string }>(
      `select c.lead_id, c.handoff_at, l.status from conversations c join leads l on l.id = c.lead_id where c.id = $1`,
      [conversationId],
    );
    const row = state.rows[0];
    if (!row || row.handoff_at || row.status !== 'handed_off') return;
    // The turn that decided the handoff may not have sent its reply yet (still generating, or a
    // send waiting for its retry): pausing now would silence the bot's own handoff line. That
    // turn enqueues this job again once it has delivered.
    const busy = await pool.query(
      `select 1 from turns where conversation_id = $1 and status in ('generating', 'ready') limit 1`,
      [conversationId],
    );
    if (busy.rowCount) return;
    const summary = await createLeadRepo(pool).findSummary(row.lead_id);
    const note = summary
      ? renderNotePt(summary)
      : 'Lead quente passado pelo assistente virtual (sem resumo).';
    const id = linked.chatwootConversationId;
    // Quiet first: the lead's next message must not meet the bot while the SDR is being called.
    await control.pause({
      conversationId,
      by: 'bot:handoff',
      reason: 'hot lead handed to a consultant',
      signal: 'handoff',
    });
    // A retry after a later step failed must not post the note again.
    const posted = await pool.query(
      `select 1 from chatwoot_outgoing
       where conversation_id = $1 and content_hash = $2 and chatwoot_message_id is not null`,
      [conversationId, contentHash(note)],
    );
    if (!posted.rowCount) await postOurs(conversationId, linked, note, true);
    if (settings.handoffLabels.length > 0) await client.addLabels(id, settings.handoffLabels);
    await client.setStatus(id, 'open');
    if (settings.handoffAssigneeId || settings.handoffTeamId) {
      await client.assign(id, { assigneeId: settings.handoffAssigneeId, teamId: settings.handoffTeamId });
    }
    await pool.query('update conversations set handoff_at = now() where id = $1', [conversationId]);
    metrics.handoffs.inc({ step: 'chatwoot' });
    ctx.log.info({ conversationId, chatwootConversationId: id }, 'hot lead handed off in Chatwoot');
  }

  async function run({ conversationId }: ChatwootMirrorJob, ctx: JobContext): Promise<void> {
    const linked = await link(conversationId);
    if (!linked) {
      ctx.log.warn({ conversationId }, 'conversation without a phone: not mirrored to Chatwoot');
      return;
    }
    if (settings.mirror) await mirrorMessages(conversationId, linked, ctx.attempt > 1);
    await handoff(conversationId, linked, ctx);
  }

  function enqueue(conversationId: string, options: Pick<SendOptions, 'correlationId' | 'tx'> = {}) {
    return queue.send(CHATWOOT_MIRROR_QUEUE, { conversationId } satisfies ChatwootMirrorJob, {
      singletonKey: conversationId,
      ...options,
    });
  }

  return { run, enqueue };
}

export type ChatwootMirror = ReturnType<typeof createChatwootMirror>;
