import { isUuid } from '../domain/uuid.js';
import type { DeliveryStatus } from '../integrations/whatsapp/types.js';
import type { Queryable } from './pool.js';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'uncertain' | 'cancelled';

export type OutboxItem = {
  id: string;
  idempotencyKey: string;
  conversationId: string;
  turnId: string | null;
  part: number;
  provider: string;
  instanceId: string;
  chatId: string;
  text: string;
  status: OutboxStatus;
  attempts: number;
  providerMessageId: string | null;
  lastError: string | null;
  deliveryStatus: string | null;
  sendingAt: Date | null;
  sentAt: Date | null;
};

type OutboxRow = {
  id: string;
  idempotency_key: string;
  conversation_id: string;
  turn_id: string | null;
  part: number;
  provider: string;
  instance_id: string;
  chat_id: string;
  text: string;
  status: OutboxStatus;
  attempts: number;
  provider_message_id: string | null;
  last_error: string | null;
  delivery_status: string | null;
  sending_at: Date | null;
  sent_at: Date | null;
};

function toItem(row: OutboxRow): OutboxItem {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    conversationId: row.conversation_id,
    turnId: row.turn_id,
    part: row.part,
    provider: row.provider,
    instanceId: row.instance_id,
    chatId: row.chat_id,
    text: row.text,
    status: row.status,
    attempts: row.attempts,
    providerMessageId: row.provider_message_id,
    lastError: row.last_error,
    deliveryStatus: row.delivery_status,
    sendingAt: row.sending_at,
    sentAt: row.sent_at,
  };
}

export type NewOutboxPart = Pick<
  OutboxItem,
  'idempotencyKey' | 'conversationId' | 'turnId' | 'part' | 'provider' | 'instanceId' | 'chatId' | 'text'
>;

// Receipts can arrive out of order (contract §1.4): never move a message back to an earlier state.
const DELIVERY_RANK: Record<DeliveryStatus, number> = {
  sent: 1,
  delivered: 2,
  read: 3,
  played: 4,
  failed: 5,
};

// How long after a send its echo (Z-API, Evolution fromMe) may still arrive and be recognised.
const ECHO_MATCH_WINDOW_MINUTES = 10;

export function createOutboxRepo(db: Queryable) {
  /** Idempotent on the key: writing the same reply twice keeps one row per part. */
  async function insertParts(parts: NewOutboxPart[]): Promise<void> {
    for (const part of parts) {
      await db.query(
        `insert into outbox (idempotency_key, conversation_id, turn_id, part, provider, instance_id, chat_id, text)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (idempotency_key) do nothing`,
        [
          part.idempotencyKey,
          part.conversationId,
          part.turnId,
          part.part,
          part.provider,
          part.instanceId,
          part.chatId,
          part.text,
        ],
      );
    }
  }

  /** Not-yet-sent parts of a conversation, in the order they must go out. */
  async function unsent(conversationId: string): Promise<OutboxItem[]> {
    const result = await db.query<OutboxRow>(
      `select * from outbox where conversation_id = $1 and status in ('pending', 'sending')
       order by created_at, part`,
      [conversationId],
    );
    return result.rows.map(toItem);
  }

  /** Marks a part in flight just before the provider call; false when someone else has it. */
  async function claim(id: string): Promise<boolean> {
    const result = await db.query(
      `update outbox set status = 'sending', sending_at = now(), attempts = attempts + 1
       where id = $1 and status = 'pending'`,
      [id],
    );
    return result.rowCount === 1;
  }

  /** False when an echo already recorded the part (it beat the send's HTTP response). */
  async function markSent(id: string, providerMessageId: string | null): Promise<boolean> {
    const result = await db.query(
      `update outbox set status = 'sent', sent_at = now(), last_error = null,
         provider_message_id = coalesce(provider_message_id, $2)
       where id = $1 and status = 'sending'`,
      [id, providerMessageId],
    );
    return result.rowCount === 1;
  }

  /** The provider refused before doing anything (retryable): the part may be sent again. */
  async function release(id: string, error: string): Promise<void> {
    await db.query(
      `update outbox set status = 'pending', last_error = $2 where id = $1 and status = 'sending'`,
      [id, error],
    );
  }

  async function markFailed(id: string, error: string): Promise<void> {
    await db.query(`update outbox set status = 'failed', last_error = $2 where id = $1`, [id, error]);
  }

  async function markUncertain(id: string, reason: string): Promise<void> {
    await db.query(
      `update outbox set status = 'uncertain', last_error = $2 where id = $1 and status = 'sending'`,
      [id, reason],
    );
  }

  /**
   * Recognises a fromMe echo as one of our sends: by provider id when the send already
   * returned, else by chat and text among recent attempted parts. The echo can beat the send's
   * HTTP response, or follow a send that timed out and was put back to pending: either way the
   * provider did send it, so it is marked sent (and never sent again), not taken for a human.
   */
  async function matchEcho(echo: {
    provider: string;
    chatId: string;
    text: string | null;
    providerMessageId: string;
  }) {
    const result = await db.query<OutboxRow & { previous_status: OutboxStatus }>(
      `with target as (
         select id, status as previous_status from outbox
         where provider = $1
           and (provider_message_id = $4
                or (chat_id = $2 and text = $3
                    and (status in ('sending', 'sent', 'uncertain') or (status = 'pending' and attempts > 0))
                    and coalesce(sending_at, created_at) > now() - make_interval(mins => $5)))
         -- By text, a part whose provider id is still unknown comes first (a part with another id
         -- has had its own answer). A part already echoed comes last: a second echo of it is a
         -- send that went out twice (an answer lost, then retried), ours all the same, not a human.
         order by coalesce(provider_message_id = $4, false) desc, provider_message_id is null desc,
           echoed_at is null desc, created_at
         limit 1
         -- Wait for a sender recording this very part: skipping it would take our echo for a human's.
         for update)
       update outbox set echoed_at = now(),
         provider_message_id = coalesce(provider_message_id, $4),
         status = case when status in ('pending', 'sending', 'uncertain') then 'sent' else status end,
         sent_at = coalesce(sent_at, now())
       from target where outbox.id = target.id
       returning outbox.*, target.previous_status`,
      [echo.provider, echo.chatId, echo.text, echo.providerMessageId, ECHO_MATCH_WINDOW_MINUTES],
    );
    const row = result.rows[0];
    // Confirmed by this echo only: the send's own success was never recorded (the worker died).
    return row ? { item: toItem(row), confirmedNow: row.previous_status !== 'sent' } : undefined;
  }

  /**
   * Applies a delivery receipt to the part with that provider id, or, when the receipt carries
   * the reference we set on the send, to that part while its provider id is still unknown (its
   * send timed out, or the worker died during it). A receipt proves the provider took the part,
   * so a part not yet recorded as sent becomes sent and is never sent again: `confirmedNow`.
   * Undefined when the receipt is for no part of ours.
   */
  async function applyDeliveryStatus(update: {
    provider: string;
    providerMessageId: string;
    status: DeliveryStatus;
    error: string | null;
    at: Date;
    reference?: string;
  }): Promise<{ item: OutboxItem; confirmedNow: boolean } | undefined> {
    const reference = update.reference && isUuid(update.reference) ? update.reference : null;
    const result = await db.query<OutboxRow & { previous_status: OutboxStatus }>(
      `with target as (
         select id, status as previous_status,
           -- Receipts arrive out of order: the delivery state never moves back.
           delivery_status is null or $6 > (case delivery_status
             when 'sent' then 1 when 'delivered' then 2 when 'read' then 3 when 'played' then 4 else 5 end) as advances
         from outbox
         where provider = $1 and (provider_message_id = $2 or (id = $7::uuid and provider_message_id is null))
         order by coalesce(provider_message_id = $2, false) desc
         limit 1
         for update)
       update outbox set
         delivery_status = case when target.advances then $3 else delivery_status end,
         delivery_error = case when target.advances then coalesce($4, delivery_error) else delivery_error end,
         delivery_updated_at = case when target.advances then $5 else delivery_updated_at end,
         provider_message_id = coalesce(provider_message_id, $2),
         -- Attempted parts only: a pending or cancelled one may have gone out on a send that timed out.
         status = case when status in ('sending', 'uncertain') or (status in ('pending', 'cancelled') and attempts > 0)
                       then 'sent' else status end,
         sent_at = coalesce(sent_at, $5)
       from target where outbox.id = target.id
       returning outbox.*, target.previous_status`,
      [
        update.provider,
        update.providerMessageId,
        update.status,
        update.error,
        update.at,
        DELIVERY_RANK[update.status],
        reference,
      ],
    );
    const row = result.rows[0];
    return row
      ? { item: toItem(row), confirmedNow: row.previous_status !== 'sent' && row.status === 'sent' }
      : undefined;
  }

  /** How a turn's parts stand: still to send (pending or in flight), and refused for good. */
  async function turnParts(turnId: string): Promise<{ open: number; failed: number }> {
    const result = await db.query<{ open: number; failed: number }>(
      `select count(*) filter (where status in ('pending', 'sending'))::int as open,
              count(*) filter (where status = 'failed')::int as failed
       from outbox where turn_id = $1`,
      [turnId],
    );
    return result.rows[0] ?? { open: 0, failed: 0 };
  }

  /** A human took the conversation: reply parts not yet on their way are not sent. */
  async function cancelPending(conversationId: string, reason: string): Promise<number> {
    const result = await db.query(
      `update outbox set status = 'cancelled', last_error = $2 where conversation_id = $1 and status = 'pending'`,
      [conversationId, reason],
    );
    return result.rowCount ?? 0;
  }

  /** An operator requeued a refused part (after fixing its cause): make it sendable again. */
  async function reopenFailed(id: string): Promise<void> {
    await db.query(`update outbox set status = 'pending' where id = $1 and status = 'failed'`, [id]);
  }

  async function list(filter: {
    status?: OutboxStatus;
    conversationId?: string;
    limit: number;
  }): Promise<OutboxItem[]> {
    const result = await db.query<OutboxRow>(
      `select * from outbox where ($1::text is null or status = $1) and ($2::uuid is null or conversation_id = $2)
       order by created_at desc, part desc limit $3`,
      [filter.status ?? null, filter.conversationId ?? null, filter.limit],
    );
    return result.rows.map(toItem);
  }

  return {
    insertParts,
    unsent,
    claim,
    markSent,
    release,
    markFailed,
    markUncertain,
    matchEcho,
    applyDeliveryStatus,
    turnParts,
    reopenFailed,
    cancelPending,
    list,
  };
}

export type OutboxRepo = ReturnType<typeof createOutboxRepo>;
