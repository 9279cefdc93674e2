import type { AgentInput, ConversationAgent, TranscriptEntry } from '../agents/agent.js';
import { createAgentEventRepo } from '../db/agent-event.repo.js';
import { type Conversation, createConversationRepo } from '../db/conversation.repo.js';
import { createDeadLetterRepo } from '../db/dead-letter.repo.js';
import type { JobContext, JobQueue } from '../db/job-queue.js';
import { createLeadRepo } from '../db/lead.repo.js';
import { createMessageRepo, type StoredMessage } from '../db/message.repo.js';
import { createOutboxRepo } from '../db/outbox.repo.js';
import { type Pool, type PoolClient, withTransaction } from '../db/pool.js';
import { createTurnRepo, type Turn } from '../db/turn.repo.js';
import {
  ALL_ENABLED,
  type AnswerDecision,
  type BotFlags,
  needsOrigin,
  type SilenceReason,
  shouldAnswer,
} from '../domain/bot-flags.js';
import { splitMessage } from '../domain/message-split.js';
import type { Metrics } from '../observability/metrics.js';
import type { OutboxSender } from './outbox-sender.service.js';
import { VOICE_NOTE_FALLBACK, type VoiceNotes } from './voice-note.service.js';

/**
 * One agent turn of one conversation, run from the `conversation-turn` job.
 *
 * 1. Take the conversation's lease (one worker per conversation, across instances).
 * 2. Finish what a crashed run left: unsent reply parts go out first; a half-generated turn is
 *    abandoned and its messages answered afresh.
 * 3. Wait for the burst window to close, then answer every unanswered lead message at once,
 *    unless paused or a feature flag keeps the bot off this conversation: then they are marked
 *    handled by a silent turn, so switching the bot back on answers only what comes next.
 * 4. Just before sending, re-check under the row lock: paused → silent; newer messages →
 *    fold them into a fresh turn (at most MAX_FOLDS times in a row, so a chatty lead still gets
 *    answers); else write reply parts to the outbox and mark the messages answered, atomically.
 * 5. Send the outbox, then schedule the next turn if messages arrived meanwhile.
 */
export const TURN_QUEUE = 'conversation-turn';
export type TurnJob = { conversationId: string; retryOutboxId?: string };

const MAX_FOLDS = 2;
const TRANSCRIPT_LIMIT = 30;
// When the lease is held by another live worker, look again shortly.
const LEASE_BUSY_RETRY_MS = 1000;

type Deps = {
  pool: Pool;
  /** Reads voice notes into text before the agent sees them. */
  voiceNotes?: Pick<VoiceNotes, 'transcribe'>;
  /** Told after each turn that stored or sent something (the Chatwoot mirror follows it). */
  onActivity?: (conversationId: string, correlationId: string) => Promise<unknown>;
  /** Told when a turn qualified a lead or changed a qualified one. */
  onLeadReady?: (leadId: string, correlationId: string) => Promise<unknown>;
  queue: Pick<JobQueue, 'send'>;
  agent: ConversationAgent;
  outbox: OutboxSender;
  metrics: Metrics;
  maxTextLength: number;
  leaseSeconds: number;
  /** BOT_ENABLED, BOT_ENABLED_INSTANCES, BOT_ENABLED_ORIGINS; all on when absent. */
  flags?: BotFlags;
  now?: () => Date;
};

type Plan =
  | { action: 'none' | 'deliver' }
  | { action: 'later'; at: Date }
  | { action: 'generate'; turn: Turn; input: StoredMessage[] };

function toEntry(message: StoredMessage): TranscriptEntry {
  // A voice note reads as what was said in it.
  const text = message.text ?? message.transcript;
  return { author: message.author, kind: message.kind, text, at: message.sentAt };
}

export function createConversationTurn({
  pool,
  queue,
  agent,
  outbox,
  metrics,
  maxTextLength,
  leaseSeconds,
  onLeadReady,
  onActivity,
  voiceNotes,
  ...rest
}: Deps) {
  const now = rest.now ?? (() => new Date());
  const flags = rest.flags ?? ALL_ENABLED;

  function schedule(conversationId: string, at: Date, correlationId: string, tx?: PoolClient) {
    return queue.send(TURN_QUEUE, { conversationId } satisfies TurnJob, {
      singletonKey: conversationId,
      startAfter: at,
      correlationId,
      tx,
    });
  }

  /** A paused or flagged-off conversation: the messages are kept, marked handled by a silent turn. */
  async function silence(
    tx: PoolClient,
    {
      conversationId,
      input,
      turn,
      correlationId,
      flag,
    }: {
      conversationId: string;
      input: StoredMessage[];
      turn?: Turn;
      correlationId: string;
      flag?: SilenceReason;
    },
  ) {
    const ids = input.map((m) => m.id);
    const target = turn ?? (await createTurnRepo(tx).create(conversationId, ids, correlationId));
    await createMessageRepo(tx).assignTurn(ids, target.id);
    await createTurnRepo(tx).finish(target.id, 'silenced');
    // A pause has its own event already; a flag leaves one per silent turn to say why.
    if (flag) {
      await createAgentEventRepo(tx).record({
        conversationId,
        turnId: target.id,
        type: 'bot_silenced',
        actor: 'system',
        data: { reason: flag, messages: ids.length },
      });
    }
    metrics.turns.inc({ outcome: 'silenced' });
  }

  /** Reads the lead's origin only when BOT_ENABLED_ORIGINS is set: the usual turn pays nothing. */
  async function flagDecision(tx: PoolClient, conversation: Conversation): Promise<AnswerDecision> {
    const origin = needsOrigin(flags) ? await createLeadRepo(tx).findOrigin(conversation.leadId) : null;
    return shouldAnswer(flags, { instanceId: conversation.instanceId, origin });
  }

  /** Parts still waiting (pacing, a crash) were written before the flag went off: they stay unsent. */
  async function cancelUnsent(tx: PoolClient, conversationId: string, reason: SilenceReason) {
    const parts = await createOutboxRepo(tx).cancelPending(conversationId, `bot silenced: ${reason}`);
    if (parts === 0) return;
    await createAgentEventRepo(tx).record({
      conversationId,
      type: 'reply_cancelled',
      actor: 'system',
      data: { parts, reason },
    });
  }

  async function plan(conversationId: string, ctx: JobContext): Promise<Plan> {
    return withTransaction(pool, async (tx) => {
      const conversation = await createConversationRepo(tx).lock(conversationId);
      if (!conversation) return { action: 'none' };
      const turns = createTurnRepo(tx);
      const open = await turns.findOpen(conversationId);
      for (const stale of open.filter((t) => t.status === 'generating'))
        await turns.finish(stale.id, 'abandoned');
      if (open.some((t) => t.status === 'ready')) {
        const decision = await flagDecision(tx, conversation);
        if (!decision.answer) await cancelUnsent(tx, conversationId, decision.reason);
        return { action: 'deliver' };
      }
      if (conversation.bufferDeadline && conversation.bufferDeadline > now()) {
        return { action: 'later', at: conversation.bufferDeadline };
      }
      const input = await createMessageRepo(tx).unanswered(conversationId);
      if (input.length === 0) return { action: 'none' };
      if (conversation.pausedAt) {
        await silence(tx, { conversationId, input, correlationId: ctx.correlationId });
        return { action: 'none' };
      }
      const decision = await flagDecision(tx, conversation);
      if (!decision.answer) {
        await silence(tx, { conversationId, input, correlationId: ctx.correlationId, flag: decision.reason });
        ctx.log.debug({ conversationId, reason: decision.reason }, 'turn silenced by a feature flag');
        return { action: 'none' };
      }
      const turn = await turns.create(
        conversationId,
        input.map((m) => m.id),
        ctx.correlationId,
      );
      return { action: 'generate', turn, input };
    });
  }

  /** What the agent produced, as stored on the turn whatever becomes of the reply. */
  type Draft = {
    reply: string | null;
    /** Sent as its own message before the reply: the request to write what a voice note said. */
    preface?: string;
    agent: unknown;
    promptVersion?: string;
    usage?: unknown;
  };

  /** Step 4: keep the reply only if the conversation is still as the agent saw it. */
  async function commitReply(turn: Turn, input: StoredMessage[], draft: Draft) {
    const { reply, preface, ...record } = draft;
    return withTransaction(pool, async (tx) => {
      const conversations = createConversationRepo(tx);
      const conversation = (await conversations.lock(turn.conversationId)) as Conversation;
      const turns = createTurnRepo(tx);
      if ((await turns.find(turn.id))?.status !== 'generating') return 'stale' as const;
      if (conversation.pausedAt) {
        await silence(tx, { conversationId: turn.conversationId, input, turn, correlationId: '' });
        return 'silenced' as const;
      }
      const lastInputId = Math.max(...input.map((m) => m.id));
      const newer = (await createMessageRepo(tx).unanswered(turn.conversationId)).filter(
        (m) => m.id > lastInputId,
      );
      if (newer.length > 0 && conversation.consecutiveFolds < MAX_FOLDS) {
        await turns.finish(turn.id, 'superseded', record);
        await conversations.setFolds(turn.conversationId, conversation.consecutiveFolds + 1);
        metrics.turns.inc({ outcome: 'folded' });
        return 'folded' as const;
      }
      await createMessageRepo(tx).assignTurn(
        input.map((m) => m.id),
        turn.id,
      );
      await conversations.setFolds(turn.conversationId, 0);
      const parts = [...(preface ? [preface] : []), ...(reply ? splitMessage(reply, maxTextLength) : [])];
      await createOutboxRepo(tx).insertParts(
        parts.map((text, part) => ({
          idempotencyKey: `turn:${turn.id}:${part}`,
          conversationId: turn.conversationId,
          turnId: turn.id,
          part,
          provider: conversation.provider,
          instanceId: conversation.instanceId,
          chatId: conversation.chatId,
          text,
        })),
      );
      await turns.finish(turn.id, parts.length > 0 ? 'ready' : 'sent', {
        reply: parts.join('\n\n'),
        ...record,
      });
      metrics.turns.inc({ outcome: parts.length > 0 ? 'replied' : 'no_reply' });
      return 'ready' as const;
    });
  }

  async function generate(turn: Turn, input: StoredMessage[], ctx: JobContext) {
    const startedAt = performance.now();
    const unreadable = (await voiceNotes?.transcribe(input)) ?? new Set<number>();
    const readable = input.filter((message) => !unreadable.has(message.id));
    const preface = unreadable.size > 0 ? VOICE_NOTE_FALLBACK : undefined;
    // Only unreadable voice notes: the request to write them is the whole answer.
    const draft =
      readable.length === 0
        ? { reply: null, preface, agent: { agent: 'voice-note-fallback' } }
        : { ...(await askAgent(turn, readable, ctx)), preface };
    const outcome = await commitReply(turn, input, draft);
    metrics.turnDuration.observe({ outcome }, (performance.now() - startedAt) / 1000);
    ctx.log.info(
      { conversationId: turn.conversationId, turnId: turn.id, outcome, messages: input.length },
      'turn decided',
    );
    return outcome;
  }

  async function askAgent(turn: Turn, newMessages: StoredMessage[], ctx: JobContext) {
    const conversation = (await createConversationRepo(pool).find(turn.conversationId)) as Conversation;
    const transcript = await createMessageRepo(pool).recent(turn.conversationId, TRANSCRIPT_LIMIT);
    const agentInput: AgentInput = {
      conversationId: turn.conversationId,
      leadId: conversation.leadId,
      transcript: transcript.map(toEntry),
      newMessages: newMessages.map(toEntry),
      correlationId: ctx.correlationId,
    };
    const startedAt = Date.now();
    const reply = await agent.reply(agentInput);
    metrics.agentDuration.observe({ agent: agent.name }, (Date.now() - startedAt) / 1000);
    // The agent has saved the lead already: the CRM hears of it whatever becomes of the reply.
    if (reply.syncLead) await onLeadReady?.(conversation.leadId, ctx.correlationId);
    return {
      reply: reply.text?.trim() || null,
      agent: { agent: agent.name, ...reply.metadata },
      promptVersion: reply.promptVersion,
      usage: reply.usage,
    };
  }

  /** A part the provider refused for good: visible as a dead letter, requeueable by the operator. */
  async function deadLetterFailedPart(
    conversationId: string,
    outboxId: string,
    error: string,
    ctx: JobContext,
  ) {
    await withTransaction(pool, async (tx) => {
      await createDeadLetterRepo(tx).record({
        sourceJobId: outboxId,
        queue: TURN_QUEUE,
        payload: { conversationId, retryOutboxId: outboxId } satisfies TurnJob,
        error,
        correlationId: ctx.correlationId,
      });
      await createAgentEventRepo(tx).record({
        conversationId,
        type: 'send_failed',
        actor: 'system',
        data: { outboxId, error },
      });
    });
    metrics.deadLetters.inc({ queue: TURN_QUEUE });
    ctx.log.error({ conversationId, outboxId, error }, 'reply refused by the provider: dead-lettered');
  }

  async function deliverAndFollowUp(conversationId: string, ctx: JobContext): Promise<void> {
    const outcome = await outbox.deliver(conversationId, ctx.log);
    if (outcome.status === 'failed')
      await deadLetterFailedPart(conversationId, outcome.item.id, outcome.error, ctx);
    await withTransaction(pool, async (tx) => {
      const conversation = await createConversationRepo(tx).lock(conversationId);
      if (!conversation) return;
      if (outcome.status === 'deferred') {
        await schedule(conversationId, outcome.until, ctx.correlationId, tx);
        return;
      }
      const pending = await createMessageRepo(tx).unanswered(conversationId);
      if (pending.length > 0) {
        const at =
          conversation.bufferDeadline && conversation.bufferDeadline > now()
            ? conversation.bufferDeadline
            : now();
        await schedule(conversationId, at, ctx.correlationId, tx);
      }
    });
  }

  async function run(job: TurnJob, ctx: JobContext): Promise<void> {
    const { conversationId } = job;
    const lease = await createConversationRepo(pool).acquireLease(conversationId, ctx.jobId, leaseSeconds);
    if (!lease.exists) {
      ctx.log.warn({ conversationId }, 'turn for a conversation that does not exist: nothing to do');
      return;
    }
    if (!lease.acquired) {
      const retryAt = new Date(now().getTime() + LEASE_BUSY_RETRY_MS);
      await schedule(conversationId, retryAt, ctx.correlationId);
      return;
    }
    try {
      if (job.retryOutboxId) await createOutboxRepo(pool).reopenFailed(job.retryOutboxId);
      const next = await plan(conversationId, ctx);
      // Silenced (paused) turns still stored the lead's messages: the SDR sees them too.
      if (next.action === 'none') await onActivity?.(conversationId, ctx.correlationId);
      if (next.action === 'later') {
        await schedule(conversationId, next.at, ctx.correlationId);
        return;
      }
      // A stale turn means another worker took over after our lease ran out: it delivers, not us.
      if (next.action === 'generate' && (await generate(next.turn, next.input, ctx)) === 'stale') return;
      const renewed = await createConversationRepo(pool).acquireLease(
        conversationId,
        ctx.jobId,
        leaseSeconds,
      );
      if (!renewed.acquired) return;
      await deliverAndFollowUp(conversationId, ctx);
      await onActivity?.(conversationId, ctx.correlationId);
    } finally {
      await createConversationRepo(pool).releaseLease(conversationId, ctx.jobId);
    }
  }

  return { run, schedule };
}

export type ConversationTurn = ReturnType<typeof createConversationTurn>;
