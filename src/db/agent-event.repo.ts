import type { Queryable } from './pool.js';

export type NewAgentEvent = {
  conversationId: string | null;
  turnId?: string | null;
  type: string;
  /** Who did it: 'bot', 'system', 'human:phone', 'human:chatwoot:<id>', 'operator'… */
  actor: string;
  data?: Record<string, unknown>;
};

export function createAgentEventRepo(db: Queryable) {
  async function record(event: NewAgentEvent): Promise<void> {
    await db.query(
      `insert into agent_events (conversation_id, turn_id, type, actor, data) values ($1, $2, $3, $4, $5)`,
      [event.conversationId, event.turnId ?? null, event.type, event.actor, JSON.stringify(event.data ?? {})],
    );
  }

  async function list(
    conversationId: string,
  ): Promise<{ type: string; actor: string; data: unknown; createdAt: Date }[]> {
    const result = await db.query<{ type: string; actor: string; data: unknown; created_at: Date }>(
      'select type, actor, data, created_at from agent_events where conversation_id = $1 order by id',
      [conversationId],
    );
    return result.rows.map((row) => ({
      type: row.type,
      actor: row.actor,
      data: row.data,
      createdAt: row.created_at,
    }));
  }

  return { record, list };
}

export type AgentEventRepo = ReturnType<typeof createAgentEventRepo>;
