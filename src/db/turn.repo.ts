import type { Queryable } from './pool.js';

export type TurnStatus = 'generating' | 'ready' | 'sent' | 'superseded' | 'silenced' | 'abandoned' | 'failed';

export type Turn = {
  id: string;
  conversationId: string;
  status: TurnStatus;
  inputMessageIds: number[];
  reply: string | null;
};

type TurnRow = {
  id: string;
  conversation_id: string;
  status: TurnStatus;
  input_message_ids: string[];
  reply: string | null;
};

function toTurn(row: TurnRow): Turn {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    status: row.status,
    inputMessageIds: row.input_message_ids.map(Number),
    reply: row.reply,
  };
}

export function createTurnRepo(db: Queryable) {
  async function create(
    conversationId: string,
    inputMessageIds: number[],
    correlationId: string,
  ): Promise<Turn> {
    const result = await db.query<TurnRow>(
      `insert into turns (conversation_id, status, input_message_ids, correlation_id)
       values ($1, 'generating', $2, $3) returning *`,
      [conversationId, inputMessageIds, correlationId],
    );
    return toTurn(result.rows[0] as TurnRow);
  }

  /** Turns of this conversation still in progress: generating, or ready with unsent parts. */
  async function findOpen(conversationId: string): Promise<Turn[]> {
    const result = await db.query<TurnRow>(
      `select * from turns where conversation_id = $1 and status in ('generating', 'ready') order by created_at`,
      [conversationId],
    );
    return result.rows.map(toTurn);
  }

  async function find(id: string): Promise<Turn | undefined> {
    const result = await db.query<TurnRow>('select * from turns where id = $1', [id]);
    return result.rows[0] ? toTurn(result.rows[0]) : undefined;
  }

  async function finish(
    id: string,
    status: TurnStatus,
    fields: { reply?: string; agent?: unknown; promptVersion?: string; usage?: unknown } = {},
  ): Promise<void> {
    await db.query(
      `update turns set status = $2, reply = coalesce($3, reply), agent = coalesce($4::jsonb, agent),
         prompt_version = coalesce($5, prompt_version), usage = coalesce($6::jsonb, usage),
         finished_at = case when $2 in ('generating', 'ready') then null else now() end
       where id = $1`,
      [
        id,
        status,
        fields.reply ?? null,
        fields.agent === undefined ? null : JSON.stringify(fields.agent),
        fields.promptVersion ?? null,
        fields.usage === undefined ? null : JSON.stringify(fields.usage),
      ],
    );
  }

  return { create, findOpen, find, finish };
}

export type TurnRepo = ReturnType<typeof createTurnRepo>;
