import type { TestService } from '../helpers/service.js';
import type { World } from './world.js';

/**
 * What a failed check prints about one conversation: its turns, messages, reply parts, agent
 * events, the service's log lines about it, and each provider send with its echo. Enough to tell
 * which fault, retry or race led there without running the matrix again.
 */
export async function conversationStory(
  world: World,
  t: TestService,
  where: { messageId?: string; chatId?: string },
) {
  const query = async (sql: string, params: unknown[]) => (await t.service.pool.query(sql, params)).rows;
  const [found] = where.messageId
    ? await query('select conversation_id as id from messages where provider_message_id = $1', [
        where.messageId,
      ])
    : await query('select id from conversations where chat_id = $1', [where.chatId]);
  const id = String(found?.id ?? '');
  const outbox = await query(
    `select id, turn_id, status, attempts, text, last_error, provider_message_id, sending_at, sent_at, echoed_at
     from outbox where conversation_id = $1 order by created_at`,
    [id],
  );
  const [conversation] = await query(
    'select chat_id, paused_at, paused_by, handoff_at from conversations where id = $1',
    [id],
  );
  const mentions = [id, ...outbox.map((part) => String(part.id))];
  return {
    conversation,
    turns: await query(
      'select id, status, created_at, finished_at, input_message_ids from turns where conversation_id = $1 order by created_at',
      [id],
    ),
    messages: await query(
      'select id, author, text, turn_id, created_at from messages where conversation_id = $1 order by id',
      [id],
    ),
    outbox,
    events: await query(
      'select type, actor, data, created_at from agent_events where conversation_id = $1 order by id',
      [id],
    ),
    logs: t.logs
      .filter((line) => mentions.some((mention) => JSON.stringify(line).includes(mention)))
      .map(({ time, msg, queue, attempt, err }) => ({
        time,
        msg,
        queue,
        attempt,
        err: (err as Error | undefined)?.message,
      })),
    sends: await Promise.all(
      world.provider.sends
        .filter((send) => send.to === conversation?.chat_id)
        .map(async (send) => ({
          id: send.providerMessageId,
          at: send.at.toISOString(),
          text: send.text,
          echo: world.provider.echoes.find((echo) => echo.messageId === send.providerMessageId),
          event: await query(
            'select event_type, received_at, processed_at from inbound_events where message_id = $1',
            [send.providerMessageId],
          ),
        })),
    ),
  };
}

export const storyText = (story: unknown) => JSON.stringify(story, null, 1);
