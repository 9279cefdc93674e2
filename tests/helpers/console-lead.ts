import { expect } from 'vitest';
import type { TestService } from './service.js';
import { TEST_ADMIN_TOKEN } from './service.js';
import { waitUntilSettled } from './settled.js';

/** A lead writing through the console provider, and what the bot sent back and stored. */
export function consoleLead(t: TestService, phone: string) {
  async function say(text: string): Promise<void> {
    const response = await t.service.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp/console',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      payload: JSON.stringify({ from: phone, text }),
    });
    expect(response.statusCode).toBe(200);
  }

  async function replies(): Promise<string[]> {
    const result = await t.service.pool.query<{ text: string }>(
      `select text from outbox where chat_id = $1 and status = 'sent' order by created_at, part`,
      [phone],
    );
    return result.rows.map((row) => row.text);
  }

  /** Sends each message once the previous one is fully handled: answered, and its reply sent. */
  async function converse(messages: string[]): Promise<string[]> {
    for (const text of messages) {
      await say(text);
      await waitUntilSettled(t.service.pool);
    }
    return replies();
  }

  async function lead() {
    const result = await t.service.pool.query(
      'select id, status, temperature, temperature_reasons, profile, summary from leads where phone = $1',
      [phone],
    );
    return result.rows[0];
  }

  return { say, replies, converse, lead };
}
