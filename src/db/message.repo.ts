import type { OutboxItem } from './outbox.repo.js';
import type { Queryable } from './pool.js';

export type StoredMessage = {
  id: number;
  conversationId: string;
  direction: 'inbound' | 'outbound';
  author: 'lead' | 'bot' | 'human';
  kind: string;
  text: string | null;
  media: unknown;
  /** A voice note's words, once transcribed. */
  transcript: string | null;
  mediaStatus: 'transcribed' | 'failed' | null;
  providerMessageId: string | null;
  turnId: string | null;
  sentAt: Date;
};

type MessageRow = {
  id: number;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  author: 'lead' | 'bot' | 'human';
  kind: string;
  text: string | null;
  media: unknown;
  transcript: string | null;
  media_status: 'transcribed' | 'failed' | null;
  provider_message_id: string | null;
  turn_id: string | null;
  sent_at: Date;
};

function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    direction: row.direction,
    author: row.author,
    kind: row.kind,
    text: row.text,
    media: row.media,
    transcript: row.transcript,
    mediaStatus: row.media_status,
    providerMessageId: row.provider_message_id,
    turnId: row.turn_id,
    sentAt: row.sent_at,
  };
}

export type NewMessage = {
  conversationId: string;
  direction: 'inbound' | 'outbound';
  author: 'lead' | 'bot' | 'human';
  provider: string;
  providerMessageId: string | null;
  kind: string;
  text: string | null;
  media?: unknown;
  quotedId?: string | null;
  turnId?: string | null;
  sentAt: Date;
};

export function createMessageRepo(db: Queryable) {
  async function insert(message: NewMessage): Promise<number> {
    const result = await db.query<{ id: number }>(
      `insert into messages (conversation_id, direction, author, provider, provider_message_id, kind, text, media,
         quoted_id, turn_id, sent_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id`,
      [
        message.conversationId,
        message.direction,
        message.author,
        message.provider,
        message.providerMessageId,
        message.kind,
        message.text,
        message.media === undefined ? null : JSON.stringify(message.media),
        message.quotedId ?? null,
        message.turnId ?? null,
        message.sentAt,
      ],
    );
    return result.rows[0]?.id as number;
  }

  /** One of our reply parts, once the provider has taken it, into the transcript. */
  function insertBotReply(
    part: Pick<OutboxItem, 'conversationId' | 'provider' | 'text' | 'turnId'>,
    providerMessageId: string | null,
    sentAt: Date,
  ): Promise<number> {
    return insert({
      conversationId: part.conversationId,
      direction: 'outbound',
      author: 'bot',
      provider: part.provider,
      providerMessageId,
      kind: 'text',
      text: part.text,
      turnId: part.turnId,
      sentAt,
    });
  }

  /**
   * The lead's messages no turn has answered yet, in the order the lead wrote them: providers
   * may deliver a burst out of order, and their clocks tick in seconds, so arrival breaks ties.
   */
  async function unanswered(conversationId: string): Promise<StoredMessage[]> {
    const result = await db.query<MessageRow>(
      `select * from messages
       where conversation_id = $1 and direction = 'inbound' and author = 'lead' and turn_id is null
       order by sent_at, id`,
      [conversationId],
    );
    return result.rows.map(toMessage);
  }

  /** The last `limit` messages of the conversation, oldest first. */
  async function recent(conversationId: string, limit: number): Promise<StoredMessage[]> {
    const result = await db.query<MessageRow>(
      `select * from (select * from messages where conversation_id = $1 order by id desc limit $2) m order by id`,
      [conversationId, limit],
    );
    return result.rows.map(toMessage);
  }

  /** Messages with afterId < id < beforeId, oldest first: what fell out of the agent's window. */
  async function between(
    conversationId: string,
    afterId: number,
    beforeId: number,
  ): Promise<StoredMessage[]> {
    const result = await db.query<MessageRow>(
      'select * from messages where conversation_id = $1 and id > $2 and id < $3 order by id',
      [conversationId, afterId, beforeId],
    );
    return result.rows.map(toMessage);
  }

  /**
   * Records how reading a voice note ended. The inline base64 some providers send is dropped
   * either way: the audio is not kept in the message (LGPD).
   */
  async function recordMediaOutcome(
    id: number,
    outcome: { status: 'transcribed'; transcript: string } | { status: 'failed'; error: string },
  ): Promise<void> {
    await db.query(
      `update messages set media_status = $2, transcript = $3, media_error = $4,
         media = case when media ? 'base64' then media - 'base64' else media end
       where id = $1`,
      [
        id,
        outcome.status,
        outcome.status === 'transcribed' ? outcome.transcript : null,
        outcome.status === 'failed' ? outcome.error : null,
      ],
    );
  }

  async function assignTurn(ids: number[], turnId: string): Promise<void> {
    await db.query('update messages set turn_id = $2 where id = any($1::bigint[])', [ids, turnId]);
  }

  return { insert, insertBotReply, unanswered, recent, between, recordMediaOutcome, assignTurn };
}

export type MessageRepo = ReturnType<typeof createMessageRepo>;
