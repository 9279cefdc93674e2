import { createAgentEventRepo } from '../db/agent-event.repo.js';
import { createConversationRepo } from '../db/conversation.repo.js';
import { type Pool, withTransaction } from '../db/pool.js';
import { errors } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import { ADMIN_ACTOR, recordAdminAction } from './admin-audit.service.js';

/**
 * Who holds a conversation: the bot, or a human (an SDR in Chatwoot, someone on the phone app,
 * an operator). A pause is durable and immediate: a turn in flight does not send its reply
 * (commitReply and the outbox sender both look). Every pause and resume is an agent_events row
 * with who did it and why.
 */
export type ControlChange = {
  conversationId: string;
  by: string;
  reason: string;
  signal?: string;
  /** The admin API request that asked for it: the audit trail's key. */
  requestId?: string;
};

const eventData = ({ reason, signal, requestId }: ControlChange) => ({
  reason,
  signal: signal ?? null,
  ...(requestId ? { requestId } : {}),
});

type Deps = { pool: Pool; metrics: Metrics };

export function createConversationControl({ pool, metrics }: Deps) {
  async function pause(change: ControlChange): Promise<boolean> {
    const { conversationId, by, reason, signal } = change;
    return withTransaction(pool, async (tx) => {
      const conversations = createConversationRepo(tx);
      const paused = await conversations.pause(conversationId, by, reason);
      if (!paused && by.startsWith('human:')) await conversations.touchHumanActivity(conversationId);
      if (!paused) return false;
      await createAgentEventRepo(tx).record({
        conversationId,
        type: by.startsWith('human:') ? 'human_takeover' : 'bot_paused',
        actor: by,
        data: eventData(change),
      });
      if (by.startsWith('human:')) metrics.humanTakeovers.inc({ signal: signal ?? 'other' });
      return true;
    });
  }

  async function resume(change: ControlChange): Promise<boolean> {
    const { conversationId, by } = change;
    return withTransaction(pool, async (tx) => {
      const resumed = await createConversationRepo(tx).resume(conversationId);
      if (resumed) {
        await createAgentEventRepo(tx).record({
          conversationId,
          type: 'bot_resumed',
          actor: by,
          data: eventData(change),
        });
      }
      return resumed;
    });
  }

  /** The admin API's pause/resume: works with or without Chatwoot. */
  async function operatorChange(conversationId: string, action: 'pause' | 'resume', requestId: string) {
    if (!(await createConversationRepo(pool).find(conversationId))) {
      throw errors.notFound(`conversation ${conversationId}`);
    }
    const change = {
      conversationId,
      by: ADMIN_ACTOR,
      reason: `admin API (${requestId})`,
      signal: 'admin',
      requestId,
    };
    const changed = action === 'pause' ? await pause(change) : await resume(change);
    // A change is audited by its bot_paused / bot_resumed row; a no-op still leaves a trace.
    if (!changed) {
      const target = `conversation:${conversationId}`;
      await recordAdminAction(pool, { action, target, requestId, conversationId, details: { changed } });
    }
    return { conversationId, paused: action === 'pause', changed };
  }

  /** BOT_AUTO_RESUME_HOURS: a conversation a human took and left quiet goes back to the bot. */
  async function autoResume(hours: number): Promise<number> {
    let resumed = 0;
    for (const conversationId of await createConversationRepo(pool).quietSince(hours)) {
      const reason = `no human message for ${hours} h`;
      if (await resume({ conversationId, by: 'system', reason, signal: 'auto_resume' })) resumed += 1;
    }
    return resumed;
  }

  return { pause, resume, operatorChange, autoResume };
}

export type ConversationControl = ReturnType<typeof createConversationControl>;
