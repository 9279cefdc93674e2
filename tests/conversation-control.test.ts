import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../src/db/pool.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createConversationControl } from '../src/services/conversation-control.service.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { captureLogs } from './helpers/logs.js';

/** Pause, resume and BOT_AUTO_RESUME_HOURS on a real database. */
let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 2, log: captureLogs().log });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

async function conversation(phone: string): Promise<string> {
  const lead = await pool.query<{ id: string }>('insert into leads (phone) values ($1) returning id', [
    phone,
  ]);
  const row = await pool.query<{ id: string }>(
    `insert into conversations (lead_id, provider, instance_id, chat_id) values ($1, 'zapi', 'i', $2) returning id`,
    [lead.rows[0]?.id, phone],
  );
  return row.rows[0]?.id as string;
}

describe('conversation control', () => {
  it('pauses once with who and why, and resumes once', async () => {
    const control = createConversationControl({ pool, metrics: createMetrics() });
    const id = await conversation('5511987659001');
    const change = { conversationId: id, by: 'human:chatwoot:12', reason: 'test', signal: 'chatwoot_reply' };
    expect(await control.pause(change)).toBe(true);
    expect(await control.pause(change)).toBe(false);
    expect(await control.resume({ ...change, by: 'human:chatwoot:12' })).toBe(true);
    expect(await control.resume(change)).toBe(false);
    const events = await pool.query('select type from agent_events where conversation_id = $1 order by id', [
      id,
    ]);
    expect(events.rows.map((row) => row.type)).toEqual(['human_takeover', 'bot_resumed']);
  });

  it('gives back to the bot only conversations whose human has been quiet long enough', async () => {
    const control = createConversationControl({ pool, metrics: createMetrics() });
    const quiet = await conversation('5511987659002');
    const busy = await conversation('5511987659003');
    const byOperator = await conversation('5511987659004');
    for (const id of [quiet, busy]) {
      await control.pause({ conversationId: id, by: 'human:chatwoot:12', reason: 'test' });
    }
    await control.pause({ conversationId: byOperator, by: 'operator', reason: 'test' });
    await pool.query(
      `update conversations set human_last_active_at = now() - interval '5 hours', paused_at = now() - interval '5 hours'
       where id = any($1::uuid[])`,
      [[quiet, byOperator]],
    );
    expect(await control.autoResume(4)).toBe(1);
    const paused = await pool.query('select id from conversations where paused_at is not null order by id');
    expect(paused.rows.map((row) => row.id).sort()).toEqual([busy, byOperator].sort());
    const [event] = (
      await pool.query(
        `select actor, data from agent_events where conversation_id = $1 and type = 'bot_resumed'`,
        [quiet],
      )
    ).rows;
    expect(event).toMatchObject({ actor: 'system', data: { signal: 'auto_resume' } });
  });
});
