import { randomUUID } from 'node:crypto';
import { normalizePhone } from '../../../domain/phone.js';
import type { ParsedWebhook } from '../types.js';
import { consoleMessageSchema } from './schemas.js';

/** The console provider's inbound format: `{ from, text, name?, messageId? }`. */
export function parseConsoleWebhook(body: unknown, now: () => number = Date.now): ParsedWebhook {
  const parsed = consoleMessageSchema.safeParse(body);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'} ${i.message}`).join('; ');
    return {
      messages: [],
      statuses: [],
      ignored: [
        { provider: 'console', instanceId: 'console', messageId: null, reason: 'unknown_shape', detail },
      ],
    };
  }
  const { from, text, name, messageId } = parsed.data;
  const phone = normalizePhone(from);
  return {
    messages: [
      {
        provider: 'console',
        instanceId: 'console',
        messageId: messageId ?? randomUUID(),
        chatId: phone ?? from,
        phone,
        lid: null,
        name: name ?? null,
        kind: 'text',
        text,
        media: null,
        quotedId: null,
        timestampMs: now(),
        fromMe: false,
      },
    ],
    statuses: [],
    ignored: [],
  };
}
