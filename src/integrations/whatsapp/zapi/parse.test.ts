import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../types.js';
import { parseZapiWebhook } from './parse.js';

const INSTANCE_ID = '3D1F6A9B2C4E8F7A1B2C3D4E5F6A7B8C';
const NOW_MS = 1760460000000;
const now = () => NOW_MS;

function fixture(name: string): Record<string, unknown> {
  const url = new URL(`../../../../tests/fixtures/whatsapp/zapi/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8'));
}

/** The text fixture with some fields replaced: a received message of any kind. */
function received(fields: Record<string, unknown>): Record<string, unknown> {
  const { text: _text, ...base } = fixture('text');
  return { ...base, ...fields };
}

function onlyMessage(body: unknown): InboundMessage {
  const parsed = parseZapiWebhook(body, now);
  expect(parsed.ignored).toEqual([]);
  expect(parsed.statuses).toEqual([]);
  expect(parsed.messages).toHaveLength(1);
  return parsed.messages[0] as InboundMessage;
}

describe('parseZapiWebhook with the shared fixtures', () => {
  it('reads a received text with its lid and sender name', () => {
    expect(parseZapiWebhook(fixture('text'), now)).toEqual({
      messages: [
        {
          provider: 'zapi',
          instanceId: INSTANCE_ID,
          messageId: '3A7C19E0B5D24F6A8E11',
          chatId: '5511987650001',
          phone: '5511987650001',
          lid: '148302985420117@lid',
          name: 'Ana Souza',
          kind: 'text',
          text: 'Boa tarde! Qual o valor da entrega para Pinheiros?',
          media: null,
          quotedId: null,
          timestampMs: 1760452312000,
          fromMe: false,
        },
      ],
      statuses: [],
      ignored: [],
    });
  });

  it('reads a voice note with its storage URL, length and ptt flag', () => {
    const message = onlyMessage(fixture('audio'));
    expect(message).toMatchObject({
      kind: 'audio',
      text: null,
      phone: '5511987650002',
      lid: '203948571029384@lid',
    });
    expect(message.media).toEqual({
      kind: 'audio',
      mediaId: null,
      url: 'https://z-api-media.example.com/instances/3D1F6A9B2C4E8F7A1B2C3D4E5F6A7B8C/8d2f6c1a-4b7e-4f0a-9c3d-1e5b7a9c0d2e.ogg',
      base64: null,
      mimeType: 'audio/ogg; codecs=opus',
      seconds: 12,
      isVoice: true,
    });
    expect(message.timestampMs).toBe(1760452398000);
  });

  it('passes our own echo through as fromMe, without the business name as the lead’s', () => {
    expect(onlyMessage(fixture('from_me'))).toEqual({
      provider: 'zapi',
      instanceId: INSTANCE_ID,
      messageId: '3EB0A4C2E6F81D3B5A79C1',
      chatId: '5511987650001',
      phone: '5511987650001',
      lid: '148302985420117@lid',
      name: null,
      kind: 'text',
      text: 'Olá, Ana! A entrega para Pinheiros custa R$ 8,00.',
      media: null,
      quotedId: null,
      timestampMs: 1760452330000,
      fromMe: true,
    });
  });

  it('ignores a group message, keeping its id for dedupe', () => {
    expect(parseZapiWebhook(fixture('group'), now)).toEqual({
      messages: [],
      statuses: [],
      ignored: [
        {
          provider: 'zapi',
          instanceId: INSTANCE_ID,
          messageId: 'A1B2C3D4E5F60718293A4B5C6D7E8F90',
          reason: 'group',
          detail: 'group chat',
        },
      ],
    });
  });
});

describe('parseZapiWebhook with synthetic payloads', () => {
  it('accepts the type in any case', () => {
    expect(onlyMessage({ ...fixture('text'), type: 'ReceivedCallBack' }).kind).toBe('text');
  });

  it('reads an image with its caption', () => {
    const image = {
      imageUrl: 'https://z-api-media.example.com/f.jpg',
      caption: 'O modelo',
      mimeType: 'image/jpeg',
    };
    const message = onlyMessage(received({ image }));
    expect(message).toMatchObject({ kind: 'image', text: 'O modelo' });
    expect(message.media).toMatchObject({
      kind: 'image',
      url: image.imageUrl,
      mimeType: 'image/jpeg',
      isVoice: false,
    });
  });

  it('reads a button tap and a list pick as buttons', () => {
    const button = onlyMessage(received({ buttonsResponseMessage: { buttonId: '1', message: 'Ótimo' } }));
    expect(button).toMatchObject({ kind: 'button', text: 'Ótimo' });
    const listResponseMessage = { message: 'Escolha um modelo', title: 'Secador S300', selectedRowId: '2' };
    expect(onlyMessage(received({ listResponseMessage }))).toMatchObject({
      kind: 'button',
      text: 'Secador S300',
    });
  });

  it('reads the quoted message id and a phone hidden behind a lid', () => {
    const message = onlyMessage(
      received({
        phone: '99887766554433@lid',
        chatLid: null,
        referenceMessageId: 'QUOTED1',
        text: { message: 'oi' },
      }),
    );
    expect(message).toMatchObject({
      chatId: '99887766554433@lid',
      phone: null,
      lid: '99887766554433@lid',
      quotedId: 'QUOTED1',
    });
  });

  it.each([
    [
      'a group flagged only by its -group phone',
      { isGroup: false, phone: '120363041234567890-group' },
      'group',
    ],
    ['a newsletter post', { isNewsletter: true }, 'newsletter'],
    ['a broadcast', { broadcast: true }, 'status_broadcast'],
    ['a status reply', { isStatusReply: true }, 'status_broadcast'],
    ['a waiting-for-message placeholder', { waitingMessage: true, text: null }, 'waiting_message'],
    ['a notification', { notification: 'MEMBERSHIP_APPROVAL_REQUEST', text: null }, 'notification'],
    [
      'a reaction',
      { text: null, reaction: { value: '❤️', referencedMessage: { messageId: 'X' } } },
      'reaction',
    ],
    [
      'a sticker',
      { text: null, sticker: { stickerUrl: 'https://x', mimeType: 'image/webp' } },
      'unsupported_type',
    ],
    ['an empty text', { text: { message: '  ' } }, 'no_content'],
  ])('ignores %s', (_label, fields, reason) => {
    const body = { ...received({ text: { message: 'oi' } }), ...fields };
    const parsed = parseZapiWebhook(body, now);
    expect(parsed.messages).toEqual([]);
    expect(parsed.ignored).toMatchObject([
      { provider: 'zapi', instanceId: INSTANCE_ID, messageId: '3A7C19E0B5D24F6A8E11', reason },
    ]);
  });

  it('names the content key of an unsupported type', () => {
    const parsed = parseZapiWebhook(
      received({ document: { documentUrl: 'https://x', fileName: 'a.pdf' } }),
      now,
    );
    expect(parsed.ignored).toMatchObject([{ reason: 'unsupported_type', detail: 'type=document' }]);
  });

  it('emits one status per id of a MessageStatusCallback', () => {
    const body = {
      status: 'READ',
      ids: ['MSG1', 'MSG2'],
      momment: 1760452500000,
      phone: '5511987650001',
      type: 'MessageStatusCallback',
      instanceId: INSTANCE_ID,
    };
    const status = {
      provider: 'zapi',
      instanceId: INSTANCE_ID,
      status: 'read',
      timestampMs: 1760452500000,
      error: null,
    };
    expect(parseZapiWebhook(body, now)).toEqual({
      messages: [],
      statuses: [
        { ...status, providerMessageId: 'MSG1' },
        { ...status, providerMessageId: 'MSG2' },
      ],
      ignored: [],
    });
  });

  it.each([
    ['SENT', 'sent'],
    ['RECEIVED', 'delivered'],
    ['READ', 'read'],
    ['PLAYED', 'played'],
  ])('maps status %s to %s', (zapiStatus, status) => {
    const body = {
      status: zapiStatus,
      ids: ['MSG1'],
      momment: 1,
      type: 'MessageStatusCallback',
      instanceId: INSTANCE_ID,
    };
    expect(parseZapiWebhook(body, now).statuses).toMatchObject([{ status }]);
  });

  it('ignores READ_BY_ME, which is about the lead’s message', () => {
    const body = {
      status: 'READ_BY_ME',
      ids: ['MSG1'],
      momment: 1,
      type: 'MessageStatusCallback',
      instanceId: INSTANCE_ID,
    };
    const parsed = parseZapiWebhook(body, now);
    expect(parsed.statuses).toEqual([]);
    expect(parsed.ignored).toMatchObject([
      { reason: 'other_event', detail: 'status=READ_BY_ME', messageId: null },
    ]);
  });

  it('reads a DeliveryCallback as sent, dated now since it carries no time', () => {
    const body = {
      phone: '5511987650001',
      zaapId: 'Z1',
      messageId: 'MSG9',
      type: 'DeliveryCallback',
      instanceId: INSTANCE_ID,
    };
    expect(parseZapiWebhook(body, now).statuses).toEqual([
      {
        provider: 'zapi',
        instanceId: INSTANCE_ID,
        providerMessageId: 'MSG9',
        status: 'sent',
        timestampMs: NOW_MS,
        error: null,
      },
    ]);
  });

  it.each(['DisconnectedCallback', 'ConnectedCallback', 'PresenceChatCallback'])(
    'ignores %s as another event',
    (type) => {
      const parsed = parseZapiWebhook({ type, instanceId: INSTANCE_ID, momment: 1 }, now);
      expect(parsed.ignored).toEqual([
        {
          provider: 'zapi',
          instanceId: INSTANCE_ID,
          messageId: null,
          reason: 'other_event',
          detail: `type=${type}`,
        },
      ]);
    },
  );

  it('ignores a ReceivedCallback it cannot read, keeping its ids', () => {
    const parsed = parseZapiWebhook(
      { type: 'ReceivedCallback', instanceId: INSTANCE_ID, messageId: 'M1' },
      now,
    );
    expect(parsed.ignored).toMatchObject([
      { reason: 'unknown_shape', instanceId: INSTANCE_ID, messageId: 'M1' },
    ]);
  });

  it.each([
    ['an empty object', {}],
    ['an array', []],
    ['null', null],
    ['a string', 'ReceivedCallback'],
  ])('returns one unknown_shape event for %s without throwing', (_label, body) => {
    expect(parseZapiWebhook(body, now)).toEqual({
      messages: [],
      statuses: [],
      ignored: [
        {
          provider: 'zapi',
          instanceId: null,
          messageId: null,
          reason: 'unknown_shape',
          detail: expect.any(String),
        },
      ],
    });
  });
});

describe('parseZapiWebhook with a click-to-WhatsApp referral', () => {
  // Z-API's "retorno de texto vindos de anúncio" example: externalAdReply at the top level.
  const externalAdReply = {
    title: 'Envasadoras Seleto',
    body: 'texto do anúncio',
    mediaType: 1,
    thumbnailUrl: 'https://example.com/thumb.jpg',
    sourceType: 'ad',
    sourceId: '23722824350495506',
    sourceUrl: 'https://fb.me/abc',
    containsAutoReply: false,
    renderLargerThumbnail: true,
    showAdAttribution: true,
  };

  it('carries the ad on the message', () => {
    const message = onlyMessage({ ...fixture('text'), externalAdReply });
    expect(message.referral).toEqual({
      sourceType: 'ad',
      sourceId: '23722824350495506',
      sourceUrl: 'https://fb.me/abc',
      headline: 'Envasadoras Seleto',
      ctwaClid: null,
    });
  });

  it('leaves referral out when absent, null or naming nothing', () => {
    expect(onlyMessage(fixture('text'))).not.toHaveProperty('referral');
    expect(onlyMessage({ ...fixture('text'), externalAdReply: null })).not.toHaveProperty('referral');
    const layoutOnly = { renderLargerThumbnail: true, showAdAttribution: true };
    expect(onlyMessage({ ...fixture('text'), externalAdReply: layoutOnly })).not.toHaveProperty('referral');
  });
});
