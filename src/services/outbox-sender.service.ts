import { createAgentEventRepo } from '../db/agent-event.repo.js';
import { createConversationRepo } from '../db/conversation.repo.js';
import { createMessageRepo } from '../db/message.repo.js';
import { createOutboxRepo, type OutboxItem } from '../db/outbox.repo.js';
import { createPacingRepo } from '../db/pacing.repo.js';
import { type Pool, withTransaction } from '../db/pool.js';
import { createTurnRepo } from '../db/turn.repo.js';
import { isCircuitOpenError, isUpstreamError } from '../errors.js';
import type { WhatsAppClient } from '../integrations/whatsapp/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * Sends a conversation's outbox in order, each part at most once:
 * pending → (pacing slot) → claimed as `sending` → provider call → `sent`.
 *
 * The one window nothing closes is a crash during the provider call itself. A part found still
 * `sending` by a later run is never sent again: it counts as sent if the provider echoed it
 * back (Z-API, Evolution) or a receipt names it (Meta's receipts carry the part's id as
 * `biz_opaque_callback_data`); otherwise it becomes `uncertain`, with an agent event and a
 * metric, for the operator to check (GET /admin/outbox?status=uncertain), and a late echo or
 * receipt still turns it `sent`.
 */
export type DeliveryOutcome =
  | { status: 'done' }
  | { status: 'deferred'; until: Date }
  | { status: 'failed'; item: OutboxItem; error: string };

type Deps = {
  pool: Pool;
  client: WhatsAppClient;
  metrics: Metrics;
  maxSendsPerMinute: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

// Beyond this wait for a pacing slot, the job is rescheduled instead of holding a worker.
const MAX_PACING_WAIT_MS = 20_000;
// Up to this share of the interval is added at random, so sends don't tick like a robot.
const PACING_JITTER = 0.25;
// A part whose send failed may still have gone out: it is tried again no sooner than this after
// its last attempt, whichever job gets to it (its own retry, or the turn of the lead's next
// message), so the provider's echo or receipt can mark it sent first. The queue's first retry.
const ECHO_WAIT_MS = 5_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createOutboxSender({ pool, client, metrics, maxSendsPerMinute, ...rest }: Deps) {
  const now = rest.now ?? (() => new Date());
  const sleep = rest.sleep ?? defaultSleep;
  const random = rest.random ?? Math.random;
  const intervalMs = Math.ceil(60_000 / maxSendsPerMinute);

  /**
   * Closes each turn none of whose parts is left to send, however they ended (sent, refused,
   * uncertain, confirmed by an echo): a turn left 'ready' would make every later turn deliver it
   * again instead of answering the lead.
   */
  async function settleTurns(conversationId: string): Promise<void> {
    const turns = createTurnRepo(pool);
    for (const turn of (await turns.findOpen(conversationId)).filter((t) => t.status === 'ready')) {
      const parts = await createOutboxRepo(pool).turnParts(turn.id);
      if (parts.open === 0) await turns.finish(turn.id, parts.failed > 0 ? 'failed' : 'sent');
    }
  }

  async function reconcileInFlight(item: OutboxItem, log: Logger): Promise<void> {
    // An echo or receipt may already have marked it sent (matchEcho / applyDeliveryStatus).
    const outbox = createOutboxRepo(pool);
    await outbox.markUncertain(item.id, 'a previous run crashed or timed out during the provider call');
    await createAgentEventRepo(pool).record({
      conversationId: item.conversationId,
      turnId: item.turnId,
      type: 'send_uncertain',
      actor: 'system',
      data: { outboxId: item.id, part: item.part, sendingAt: item.sendingAt?.toISOString() ?? null },
    });
    metrics.outboxUncertain.inc({ provider: item.provider });
    log.error(
      { outboxId: item.id, conversationId: item.conversationId },
      'reply part was in flight when a worker died: not resent; marked uncertain for the operator',
    );
  }

  async function waitForSlot(item: OutboxItem): Promise<Date | undefined> {
    const slot = await createPacingRepo(pool).reserve(
      `${item.provider}:${item.instanceId}`,
      intervalMs,
      MAX_PACING_WAIT_MS,
    );
    if ('deferUntil' in slot) return slot.deferUntil;
    const waitMs =
      slot.slotAt.getTime() - now().getTime() + Math.floor(random() * intervalMs * PACING_JITTER);
    if (waitMs > 0) await sleep(waitMs);
    return undefined;
  }

  async function recordSent(item: OutboxItem, providerMessageId: string | null): Promise<void> {
    await withTransaction(pool, async (tx) => {
      // When the echo came first, it has already put the reply in the transcript.
      if (!(await createOutboxRepo(tx).markSent(item.id, providerMessageId))) return;
      await createMessageRepo(tx).insertBotReply(item, providerMessageId, now());
    });
  }

  async function sendOne(item: OutboxItem, log: Logger): Promise<DeliveryOutcome | undefined> {
    const deferUntil = await waitForSlot(item);
    if (deferUntil) return { status: 'deferred', until: deferUntil };
    const outbox = createOutboxRepo(pool);
    if (!(await outbox.claim(item.id))) return undefined;
    const startedAt = Date.now();
    try {
      const result = await client.sendText({ to: item.chatId, text: item.text, reference: item.id });
      await recordSent(item, result.providerMessageId);
      metrics.repliesSent.inc({ provider: item.provider });
      metrics.integrationCalls.inc({ system: 'whatsapp', operation: 'send', outcome: 'ok' });
      metrics.sendDuration.observe({ provider: item.provider }, (Date.now() - startedAt) / 1000);
      log.info(
        { outboxId: item.id, part: item.part, providerMessageId: result.providerMessageId },
        'reply part sent',
      );
      return undefined;
    } catch (error) {
      const message = (error as Error).message;
      const outcome = isCircuitOpenError(error) ? 'circuit_open' : 'error';
      metrics.integrationCalls.inc({ system: 'whatsapp', operation: 'send', outcome });
      metrics.sendFailures.inc({
        provider: item.provider,
        retryable: String(isUpstreamError(error) && error.retryable),
      });
      if (isUpstreamError(error) && !error.retryable) {
        await outbox.markFailed(item.id, message);
        return { status: 'failed', item, error: message };
      }
      // The provider did not take it, or we cannot tell: the part goes back to pending and the
      // job retries after its backoff. In that wait the echo (Z-API, Evolution) or the receipt
      // (Meta) of one that did go out marks it sent: it is not resent.
      await outbox.release(item.id, message);
      if (isUpstreamError(error) && error.mayHaveSucceeded) {
        log.warn(
          { outboxId: item.id, conversationId: item.conversationId },
          'reply part may have reached the provider: retrying later unless its echo or receipt confirms it',
        );
      }
      throw error;
    }
  }

  /** A human took over after the reply was written: what is not on its way stays unsent. */
  async function cancelIfPaused(conversationId: string, log: Logger): Promise<boolean> {
    const conversation = await createConversationRepo(pool).find(conversationId);
    if (!conversation?.pausedAt) return false;
    const cancelled = await createOutboxRepo(pool).cancelPending(
      conversationId,
      'conversation paused by a human',
    );
    if (cancelled > 0) {
      await createAgentEventRepo(pool).record({
        conversationId,
        type: 'reply_cancelled',
        actor: 'system',
        data: { parts: cancelled, reason: conversation.pausedReason },
      });
      log.info({ conversationId, parts: cancelled }, 'conversation paused: unsent reply parts cancelled');
    }
    return true;
  }

  async function sendAll(conversationId: string, log: Logger): Promise<DeliveryOutcome> {
    const items = await createOutboxRepo(pool).unsent(conversationId);
    for (const item of items) {
      if (item.status === 'sending') {
        await reconcileInFlight(item, log);
        continue;
      }
      if (await cancelIfPaused(conversationId, log)) break;
      const echoWaitEnds = item.attempts > 0 && item.sendingAt ? item.sendingAt.getTime() + ECHO_WAIT_MS : 0;
      if (echoWaitEnds > now().getTime()) return { status: 'deferred', until: new Date(echoWaitEnds) };
      const outcome = await sendOne(item, log);
      if (outcome) return outcome;
    }
    return { status: 'done' };
  }

  /** Sends every unsent part of the conversation in order; stops at the first deferral or failure. */
  async function deliver(conversationId: string, log: Logger): Promise<DeliveryOutcome> {
    const outcome = await sendAll(conversationId, log);
    await settleTurns(conversationId);
    return outcome;
  }

  return { deliver };
}

export type OutboxSender = ReturnType<typeof createOutboxSender>;
