import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isValidChatwootSignature, parseChatwootWebhook } from './webhook.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../tests/fixtures/chatwoot/${name}.json`, import.meta.url), 'utf8'));

describe('parseChatwootWebhook', () => {
  it('reads a human agent reply as an outgoing message from a user', () => {
    const { parsed, deliveryKey } = parseChatwootWebhook(fixture('message_created_outgoing_human_agent'));
    expect(parsed).toMatchObject({
      kind: 'message',
      direction: 'outgoing',
      isPrivate: false,
      conversationId: 482,
      contactPhone: '5511987650001',
      sender: { id: 12, type: 'user' },
    });
    expect(deliveryKey).toMatch(/^message_created:\d+$/);
  });

  it('reads our own echo, the lead message and a private note', () => {
    expect(parseChatwootWebhook(fixture('message_created_outgoing_bot_api_echo')).parsed).toMatchObject({
      kind: 'message',
      direction: 'outgoing',
      sender: { type: 'user' },
    });
    expect(parseChatwootWebhook(fixture('message_created_incoming_contact')).parsed).toMatchObject({
      kind: 'message',
      direction: 'incoming',
    });
    expect(parseChatwootWebhook(fixture('message_created_private_note_agent')).parsed).toMatchObject({
      kind: 'message',
      isPrivate: true,
    });
  });

  it('reads a resolution and ignores a label change', () => {
    expect(parseChatwootWebhook(fixture('conversation_status_changed_resolved')).parsed).toEqual({
      kind: 'status',
      conversationId: 482,
      contactPhone: '5511987650001',
      status: 'resolved',
    });
    expect(parseChatwootWebhook(fixture('conversation_updated_label_added')).parsed).toMatchObject({
      kind: 'ignored',
    });
  });

  it('reads an assignment to a human, with integer message types normalised', () => {
    const assigned = {
      event: 'conversation_updated',
      id: 482,
      status: 'open',
      meta: { sender: { phone_number: '+5511987650001' }, assignee: { id: 12, type: 'user' } },
      changed_attributes: [{ assignee_id: { previous_value: null, current_value: 12 } }],
    };
    expect(parseChatwootWebhook(assigned).parsed).toMatchObject({ kind: 'assigned', assignee: { id: 12 } });
    const integerType = { ...(fixture('message_created_outgoing_human_agent') as object), message_type: 1 };
    expect(parseChatwootWebhook(integerType).parsed).toMatchObject({ direction: 'outgoing' });
  });

  it('keys duplicates of the same delivery alike, and prefers X-Chatwoot-Delivery', () => {
    const body = fixture('message_created_outgoing_human_agent');
    expect(parseChatwootWebhook(body).deliveryKey).toBe(parseChatwootWebhook(body).deliveryKey);
    expect(parseChatwootWebhook(body, 'abc-123').deliveryKey).toBe('delivery:abc-123');
  });

  it('ignores unknown events and rejects a message without its conversation', () => {
    expect(parseChatwootWebhook({ event: 'contact_created' }).parsed).toMatchObject({ kind: 'ignored' });
    expect(() =>
      parseChatwootWebhook({ event: 'message_created', id: 1, message_type: 'outgoing' }),
    ).toThrow();
  });
});

describe('isValidChatwootSignature', () => {
  const secret = 'chatwoot-secret';
  const rawBody = Buffer.from('{"event":"message_created"}');
  const sign = (timestamp: string) =>
    `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;

  it('accepts a fresh signature over timestamp and raw body', () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    expect(isValidChatwootSignature({ secret, rawBody, timestamp, signature: sign(timestamp) })).toBe(true);
  });

  it('refuses a wrong secret, a changed body, a stale timestamp and missing headers', () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = sign(timestamp);
    expect(isValidChatwootSignature({ secret: 'other', rawBody, timestamp, signature })).toBe(false);
    expect(isValidChatwootSignature({ secret, rawBody: Buffer.from('{}'), timestamp, signature })).toBe(
      false,
    );
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    expect(isValidChatwootSignature({ secret, rawBody, timestamp: old, signature: sign(old) })).toBe(false);
    expect(isValidChatwootSignature({ secret, rawBody, timestamp: undefined, signature })).toBe(false);
  });
});
