import { createHash } from 'node:crypto';
import { createConversationRepo } from '../db/conversation.repo.js';
import type { JobQueue } from '../db/job-queue.js';
import { createMessageRepo } from '../db/message.repo.js';
import { type Pool, type Queryable, withTransaction } from '../db/pool.js';
import { phoneKey } from '../domain/phone.js';
import type { ChatwootEvent } from '../integrations/chatwoot/webhook.js';
import type { Logger } from '../observability/logger.js';
import type { ConversationControl } from './conversation-control.service.js';

/**
 * What Chatwoot tells us, applied from a queue job (Chatwoot waits 5 s at most and opens the
 * conversation itself when a bot webhook is slow): a human SDR writing to the lead, or taking
 * the conversation, pauses the bot; `BOT_PAUSE_COMMAND` / `BOT_RESUME_COMMAND` typed by an agent
 * pause or resume it; resolving the conversation gives the next contact back to the bot. Our
 * own messages echoed back are recognised and never pause anything.
 */
export const CHATWOOT_EVENT_QUEUE = 'chatwoot-event';
export type ChatwootEventJob = { eventId: number };

export type ChatwootEventSettings = {
  botUserId?: number;
  resumeCommand: string;
  pauseCommand: string;
  resumeOnResolve: boolean;
};

type Deps = {
  pool: Pool;
  queue: Pick<JobQueue, 'send'>;
  control: Pick<ConversationControl, 'pause' | 'resume'>;
  settings: ChatwootEventSettings;
};

// Longer than applying an event takes; a claimer that crashed is replaced after it.
const CLAIM_SECONDS = 30;
// How long an unmatched post of ours may wait for its echo to be recognised by content.
const ECHO_WINDOW_MINUTES = 5;

export const contentHash = (text: string) => createHash('sha256').update(text.trim()).digest('hex');

export function createChatwootEvents({ pool, queue, control, settings }: Deps) {
  /** Stores an event the bot acts on once (Chatwoot delivers some twice) and queues it. */
  async function accept(deliveryKey: string, event: string, parsed: ChatwootEvent, correlationId: string) {
    // Status updates and label noise arrive by the dozen: nothing to keep, nothing to do.
    if (parsed.kind === 'ignored') return { outcome: 'ignored' as const, eventId: undefined };
    return withTransaction(pool, async (tx) => {
      const inserted = await tx.query<{ id: number }>(
        `insert into chatwoot_events (delivery_key, event, payload) values ($1, $2, $3)
         on conflict (delivery_key) do nothing returning id`,
        [deliveryKey, event, JSON.stringify(parsed)],
      );
      const id = inserted.rows[0]?.id;
      if (id === undefined) return { outcome: 'duplicate' as const, eventId: undefined };
      await queue.send(CHATWOOT_EVENT_QUEUE, { eventId: id } satisfies ChatwootEventJob, {
        correlationId,
        tx,
      });
      return { outcome: 'accepted' as const, eventId: id };
    });
  }

  /** Our conversation for a Chatwoot one: by the stored link, else by the contact's phone. */
  async function locate(db: Queryable, chatwootConversationId: number, phone: string | null) {
    const conversations = createConversationRepo(db);
    const linked = await conversations.findByChatwootId(chatwootConversationId);
    if (linked || !phone) return linked;
    const found = await db.query<{ conversation_id: string }>(
      'select conversation_id from contact_aliases where alias = $1',
      [`phone:${phoneKey(phone)}`],
    );
    const conversationId = found.rows[0]?.conversation_id;
    if (conversationId)
      await conversations.linkChatwoot(conversationId, {
        contactId: null,
        conversationId: chatwootConversationId,
      });
    return conversationId;
  }

  /** Posted by us: our integration user, an id we got back, a post still waiting for its id, or our WhatsApp send mirrored. */
  async function isOurs(
    db: Queryable,
    conversationId: string,
    event: Extract<ChatwootEvent, { kind: 'message' }>,
  ) {
    if (
      settings.botUserId !== undefined &&
      event.sender?.type === 'user' &&
      event.sender.id === settings.botUserId
    ) {
      return true;
    }
    const matched = await db.query(
      `update chatwoot_outgoing set chatwoot_message_id = $2
       where id = (select id from chatwoot_outgoing
                   where chatwoot_message_id = $2
                      or (conversation_id = $1 and chatwoot_message_id is null and content_hash = $3
                          and created_at > now() - make_interval(mins => $4))
                   order by chatwoot_message_id is null, id limit 1)
       returning id`,
      [conversationId, event.messageId, contentHash(event.content), ECHO_WINDOW_MINUTES],
    );
    if (matched.rowCount) return true;
    const waId = event.sourceId?.startsWith('WAID:') ? event.sourceId.slice('WAID:'.length) : null;
    if (!waId) return false;
    const sent = await db.query(
      'select 1 from outbox where conversation_id = $1 and provider_message_id = $2',
      [conversationId, waId],
    );
    return (sent.rowCount ?? 0) > 0;
  }

  function commandIn(content: string): 'pause' | 'resume' | null {
    const typed = content.trim().toLowerCase();
    if (typed === settings.resumeCommand.toLowerCase()) return 'resume';
    if (typed === settings.pauseCommand.toLowerCase()) return 'pause';
    return null;
  }

  async function applyCommand(conversationId: string, command: 'pause' | 'resume', by: string) {
    const change = { conversationId, by, reason: `command typed in Chatwoot`, signal: `command_${command}` };
    if (command === 'resume') await control.resume(change);
    else await control.pause(change);
    return `command ${command}`;
  }

  /** The SDR's words join the transcript, so the bot resumes knowing what the human said. */
  async function storeHumanMessage(
    conversationId: string,
    event: Extract<ChatwootEvent, { kind: 'message' }>,
  ) {
    const id = await createMessageRepo(pool).insert({
      conversationId,
      direction: 'outbound',
      author: 'human',
      provider: 'chatwoot',
      providerMessageId: `chatwoot:${event.messageId}`,
      kind: 'text',
      text: event.content,
      sentAt: new Date(),
    });
    await pool.query('update messages set chatwoot_message_id = $2 where id = $1', [id, event.messageId]);
  }

  async function applyMessage(conversationId: string, event: Extract<ChatwootEvent, { kind: 'message' }>) {
    const who = `human:chatwoot:${event.sender?.id ?? 'unknown'}`;
    const command = commandIn(event.content);
    if (event.isPrivate) return command ? applyCommand(conversationId, command, who) : 'private note';
    if (event.direction === 'incoming') return 'lead message (stored from WhatsApp)';
    if (await isOurs(pool, conversationId, event)) return 'our echo';
    if (command) return applyCommand(conversationId, command, who);
    if (event.sender?.type !== 'user') return `not a human (${event.sender?.type ?? 'no sender'})`;
    await storeHumanMessage(conversationId, event);
    await control.pause({
      conversationId,
      by: who,
      reason: 'an agent wrote to the lead in Chatwoot',
      signal: 'chatwoot_reply',
    });
    return 'human takeover';
  }

  async function apply(event: ChatwootEvent): Promise<string> {
    if (event.kind === 'ignored') return `ignored: ${event.reason}`;
    const conversationId = await locate(pool, event.conversationId, event.contactPhone);
    if (!conversationId) return 'no matching conversation';
    if (event.kind === 'message') return applyMessage(conversationId, event);
    if (event.kind === 'assigned') {
      const human = event.assignee?.type === 'user' && event.assignee.id !== settings.botUserId;
      if (!human) return 'assigned to a bot';
      await control.pause({
        conversationId,
        by: `human:chatwoot:${event.assignee?.id}`,
        reason: 'conversation assigned to an agent in Chatwoot',
        signal: 'chatwoot_assignment',
      });
      return 'human takeover (assignment)';
    }
    if (event.status === 'resolved' && settings.resumeOnResolve) {
      await control.resume({
        conversationId,
        by: 'chatwoot',
        reason: 'conversation resolved in Chatwoot',
        signal: 'resolved',
      });
      return 'resumed (resolved)';
    }
    return `status ${event.status}`;
  }

  /**
   * Applies a stored event once: whoever claims it (the webhook request, or the queue job after
   * a crash) applies it; a failure gives the claim back for the job's retry.
   */
  async function run({ eventId }: ChatwootEventJob, log: Pick<Logger, 'info'>): Promise<void> {
    const claimed = await pool.query<{ payload: ChatwootEvent }>(
      `update chatwoot_events set claimed_until = now() + make_interval(secs => $2)
       where id = $1 and processed_at is null and (claimed_until is null or claimed_until < now())
       returning payload`,
      [eventId, CLAIM_SECONDS],
    );
    const payload = claimed.rows[0]?.payload;
    if (!payload) return;
    try {
      const outcome = await apply(payload);
      await pool.query('update chatwoot_events set outcome = $2, processed_at = now() where id = $1', [
        eventId,
        outcome,
      ]);
      log.info({ eventId, outcome }, 'Chatwoot event applied');
    } catch (error) {
      await pool.query('update chatwoot_events set claimed_until = null where id = $1', [eventId]);
      throw error;
    }
  }

  return { accept, run };
}

export type ChatwootEvents = ReturnType<typeof createChatwootEvents>;
