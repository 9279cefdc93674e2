import { createAgentEventRepo } from '../db/agent-event.repo.js';
import { type ContactIdentity, createConversationRepo } from '../db/conversation.repo.js';
import { createDeadLetterRepo } from '../db/dead-letter.repo.js';
import {
  createInboundEventRepo,
  type InboundEventType,
  type PendingEvent,
} from '../db/inbound-event.repo.js';
import type { JobQueue } from '../db/job-queue.js';
import { createMessageRepo } from '../db/message.repo.js';
import { createOutboxRepo, type OutboxItem } from '../db/outbox.repo.js';
import type { Pool, PoolClient } from '../db/pool.js';
import { leadOriginOf } from '../domain/bot-flags.js';
import { phoneKey } from '../domain/phone.js';
import type { InboundMessage, StatusUpdate } from '../integrations/whatsapp/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { TURN_QUEUE, type TurnJob } from './conversation-turn.service.js';
import type { IngestPressure } from './ingest-pressure.js';

/**
 * Applies recorded webhook events: a lead's message joins its conversation and pushes the
 * burst window, and the conversation's turn is enqueued in the same transaction; our own
 * echoes are recognised; a fromMe message we did not send pauses the bot (a human answered);
 * receipts update the outbox. Every instance runs this loop; they take turns on one lane.
 */
export const INBOUND_EVENT_QUEUE = 'inbound-event';

// One processing lane across all instances keeps each conversation's messages in arrival order;
// applying an event takes milliseconds, so one lane is far above any lead's typing speed.
const PROCESSING_LOCK_KEY = 7_162_534_003;
// During a webhook flood the lane works at most a tenth of the time: the backlog still drains,
// a couple of thousand events a minute, and the webhook keeps the rest of the machine.
const FLOOD_PAUSE_PER_WORK = 9;
export type InboundEventJob = { eventId: number };

type Deps = {
  pool: Pool;
  queue: Pick<JobQueue, 'send'>;
  metrics: Metrics;
  log: Logger;
  bufferMs: number;
  /** Told of each lead message in its transaction (the Chatwoot mirror shows it to the SDR at once). */
  onLeadMessage?: (conversationId: string, tx: PoolClient) => Promise<unknown>;
  /** While webhooks flood in, applying events gives way to accepting them (see ingest-pressure.ts). */
  pressure?: Pick<IngestPressure, 'isFlooded'>;
  batchSize?: number;
  idlePollMs?: number;
  now?: () => Date;
};

export function identityOf(message: InboundMessage): ContactIdentity {
  const aliases = [
    message.phone ? `phone:${phoneKey(message.phone)}` : null,
    message.lid ? `lid:${message.lid}` : null,
  ];
  const known = aliases.filter((alias): alias is string => alias !== null);
  return {
    provider: message.provider,
    instanceId: message.instanceId,
    chatId: message.chatId,
    phone: message.phone,
    // Neither phone nor lid (a BSUID user): the provider's chat id is the only stable key.
    aliases: known.length > 0 ? known : [`chat:${message.provider}:${message.chatId}`],
    name: message.fromMe ? null : message.name,
    origin: leadOriginOf(message),
    referral: message.referral,
  };
}

export function createInboundProcessor({
  pool,
  queue,
  metrics,
  log,
  bufferMs,
  onLeadMessage,
  pressure,
  ...rest
}: Deps) {
  const now = rest.now ?? (() => new Date());
  const batchSize = rest.batchSize ?? 50;
  const idlePollMs = rest.idlePollMs ?? 250;

  /** Files the message under its lead's conversation (created on first contact); returns the conversation id. */
  async function store(tx: PoolClient, message: InboundMessage, author: 'lead' | 'human'): Promise<string> {
    const conversation = await createConversationRepo(tx).resolve(identityOf(message));
    await createMessageRepo(tx).insert({
      conversationId: conversation.id,
      direction: author === 'lead' ? 'inbound' : 'outbound',
      author,
      provider: message.provider,
      providerMessageId: message.messageId,
      kind: message.kind,
      text: message.text,
      media: message.media,
      quotedId: message.quotedId,
      sentAt: new Date(message.timestampMs),
    });
    return conversation.id;
  }

  async function applyLeadMessage(tx: PoolClient, message: InboundMessage, correlationId: string) {
    const conversationId = await store(tx, message, 'lead');
    const deadline = await createConversationRepo(tx).extendBuffer(
      conversationId,
      new Date(now().getTime() + bufferMs),
    );
    // One queued turn per conversation ('short' policy): a waiting one reads this message too.
    await queue.send(TURN_QUEUE, { conversationId } satisfies TurnJob, {
      singletonKey: conversationId,
      startAfter: deadline,
      correlationId,
      tx,
    });
    await onLeadMessage?.(conversationId, tx);
  }

  async function applyHumanEcho(tx: PoolClient, message: InboundMessage) {
    const conversationId = await store(tx, message, 'human');
    const conversations = createConversationRepo(tx);
    await conversations.markHumanTakeover(
      conversationId,
      'human:phone',
      'fromMe message not sent by the bot',
    );
    await createAgentEventRepo(tx).record({
      conversationId,
      type: 'human_takeover',
      actor: 'human:phone',
      data: { signal: 'whatsapp_from_me', provider: message.provider, messageId: message.messageId },
    });
    metrics.humanTakeovers.inc({ signal: 'whatsapp_from_me' });
    log.warn({ conversationId }, 'a human answered from WhatsApp: bot paused for this conversation');
  }

  /**
   * An echo or receipt proved the provider took a part whose send was never recorded (its answer
   * was lost, or the worker died): it is the only record of the reply, so it joins the transcript.
   */
  async function recordConfirmedReply(tx: PoolClient, item: OutboxItem, providerMessageId: string, at: Date) {
    await createMessageRepo(tx).insertBotReply(item, providerMessageId, at);
    log.info(
      { outboxId: item.id, conversationId: item.conversationId, part: item.part },
      'reply part confirmed by the provider after its send went unrecorded: marked sent, not resent',
    );
  }

  async function applyStatus(tx: PoolClient, update: StatusUpdate) {
    const at = new Date(update.timestampMs);
    const ours = await createOutboxRepo(tx).applyDeliveryStatus({
      provider: update.provider,
      providerMessageId: update.providerMessageId,
      status: update.status,
      error: update.error ? `${update.error.code}: ${update.error.message}` : null,
      at,
      reference: update.reference,
    });
    if (ours?.confirmedNow) await recordConfirmedReply(tx, ours.item, update.providerMessageId, at);
  }

  async function apply(tx: PoolClient, event: PendingEvent): Promise<InboundEventType> {
    const correlationId = event.correlationId ?? `event-${event.id}`;
    if (event.eventType === 'status') {
      await applyStatus(tx, event.payload as StatusUpdate);
      return 'status';
    }
    const message = event.payload as InboundMessage;
    if (!message.fromMe) {
      await applyLeadMessage(tx, message, correlationId);
      return 'message';
    }
    const ours = await createOutboxRepo(tx).matchEcho({
      provider: message.provider,
      chatId: message.chatId,
      text: message.text,
      providerMessageId: message.messageId,
    });
    if (ours) {
      if (ours.confirmedNow) {
        await recordConfirmedReply(tx, ours.item, message.messageId, new Date(message.timestampMs));
      }
      return 'echo';
    }
    await applyHumanEcho(tx, message);
    return 'human_echo';
  }

  /** A poison event must not block the ones behind it: record it and move on. */
  async function quarantine(tx: PoolClient, event: PendingEvent, error: unknown) {
    const message = (error as Error).message;
    await createInboundEventRepo(tx).markFailed(event.id, `processing failed: ${message}`);
    await createDeadLetterRepo(tx).record({
      sourceJobId: crypto.randomUUID(),
      queue: INBOUND_EVENT_QUEUE,
      payload: { eventId: event.id } satisfies InboundEventJob,
      error: message,
      correlationId: event.correlationId,
    });
    metrics.deadLetters.inc({ queue: INBOUND_EVENT_QUEUE });
    log.error({ err: error, eventId: event.id }, 'inbound event could not be applied: dead-lettered');
  }

  async function applyOne(client: PoolClient, event: PendingEvent): Promise<void> {
    await client.query('begin');
    try {
      const type = await apply(client, event);
      await createInboundEventRepo(client).markProcessed(event.id, type);
      await client.query('commit');
      metrics.webhookEvents.inc({
        provider: (event.payload as { provider: string }).provider,
        outcome: type,
      });
    } catch (error) {
      await client.query('rollback');
      await client.query('begin');
      await quarantine(client, event, error);
      await client.query('commit');
    }
  }

  /**
   * Applies up to one batch; returns how many events it took. Each event commits on its own, so
   * a redelivery of a just-applied message (which waits on the event's row) never waits for a
   * whole batch.
   */
  async function processBatch(): Promise<number> {
    const client = await pool.connect();
    try {
      const lane = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [
        PROCESSING_LOCK_KEY,
      ]);
      if (!lane.rows[0]?.locked) return 0;
      try {
        const events = await createInboundEventRepo(client).claimPending(batchSize);
        for (const event of events) await applyOne(client, event);
        return events.length;
      } finally {
        await client.query('select pg_advisory_unlock($1)', [PROCESSING_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  }

  let running = false;
  let wake: (() => void) | undefined;
  let wakesOnNudge = false;
  let loop: Promise<void> | undefined;

  function pause(ms: number, { untilNudged }: { untilNudged: boolean }): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
      wakesOnNudge = untilNudged;
    });
  }

  async function runLoop() {
    while (running) {
      const startedAt = Date.now();
      let claimed = 0;
      try {
        claimed = await processBatch();
      } catch (error) {
        log.error({ err: error }, 'inbound event processing failed; retrying');
      }
      if (!running) break;
      if (claimed > 0 && pressure?.isFlooded()) {
        const worked = Date.now() - startedAt;
        await pause(Math.max(idlePollMs, worked * FLOOD_PAUSE_PER_WORK), { untilNudged: false });
      } else if (claimed < batchSize) {
        await pause(idlePollMs, { untilNudged: true });
      }
    }
  }

  return {
    processBatch,
    /** Makes the local loop look at the table now instead of at its next poll. */
    nudge: () => {
      if (wakesOnNudge) wake?.();
    },
    start() {
      if (running) return;
      running = true;
      loop = runLoop();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
    /** Puts a quarantined event back in the processing line (admin requeue). */
    reopen: (eventId: number) => createInboundEventRepo(pool).reopen(eventId),
  };
}

export type InboundProcessor = ReturnType<typeof createInboundProcessor>;
