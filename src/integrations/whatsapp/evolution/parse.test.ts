import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../types.js';
import { parseEvolutionWebhook } from './parse.js';

const INSTANCE = 'loja-centro';
const NOW_MS = 1760460000000;
const now = () => NOW_MS;

type Body = { event: string; instance: string; data: Record<string, unknown> } & Record<string, unknown>;

function fixture(name: string): Body {
  const url = new URL(`../../../../tests/fixtures/whatsapp/evolution/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8'));
}

/** The text fixture's envelope around a record built from the text record plus `fields`. */
function upsert(fields: Record<string, unknown>, key: Record<string, unknown> = {}): Body {
  const body = fixture('text');
  const data = { ...body.data, ...fields, key: { ...(body.data.key as object), ...key } };
  return { ...body, data };
}

function onlyMessage(body: unknown): InboundMessage {
  const parsed = parseEvolutionWebhook(body, now);
  expect(parsed.ignored).toEqual([]);
  expect(parsed.statuses).toEqual([]);
  expect(parsed.messages).toHaveLength(1);
  return parsed.messages[0] as InboundMessage;
}

describe('parseEvolutionWebhook with the shared fixtures', () => {
  it('reads a v2.2+ conversation text', () => {
    expect(parseEvolutionWebhook(fixture('text'), now)).toEqual({
      messages: [
        {
          provider: 'evolution',
          instanceId: INSTANCE,
          messageId: '3A5F0C2B9D7E41A6B8C3',
          chatId: '5511987650001@s.whatsapp.net',
          phone: '5511987650001',
          lid: null,
          name: 'Ana Souza',
          kind: 'text',
          text: 'Boa tarde, vocês entregam no Tatuapé?',
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

  it('reads a pre-2.2 extendedTextMessage text', () => {
    expect(onlyMessage(fixture('extended_text'))).toEqual({
      provider: 'evolution',
      instanceId: INSTANCE,
      messageId: '3EB07D4C1A2B3C4D5E6F70',
      chatId: '5511987650002@s.whatsapp.net',
      phone: '5511987650002',
      lid: null,
      name: 'Bruno Lima',
      kind: 'text',
      text: 'Segue o link do meu pedido: https://loja.exemplo.com.br/pedidos/4821',
      media: null,
      quotedId: null,
      timestampMs: 1760452350000,
      fromMe: false,
    });
  });

  it('reads a voice note by its key id, never by the encrypted .enc url', () => {
    const message = onlyMessage(fixture('audio'));
    expect(message).toMatchObject({
      kind: 'audio',
      text: null,
      name: 'Carla Mendes',
      timestampMs: 1760452398000,
    });
    expect(message.media).toEqual({
      kind: 'audio',
      mediaId: '4C9A1E7F3B5D2086A4C8E1F3B5D7092A',
      url: null,
      base64: null,
      mimeType: 'audio/ogg; codecs=opus',
      seconds: 7,
      isVoice: true,
    });
  });

  it('passes our own echo through as fromMe, without "Você" as a name', () => {
    expect(onlyMessage(fixture('from_me'))).toMatchObject({
      messageId: '3EB0E1F2A3B4C5D6E7F80A',
      chatId: '5511987650001@s.whatsapp.net',
      phone: '5511987650001',
      name: null,
      kind: 'text',
      text: 'Entregamos sim! A taxa para o Tatuapé é R$ 7,00.',
      fromMe: true,
    });
  });

  it('ignores a group message, keeping its id for dedupe', () => {
    expect(parseEvolutionWebhook(fixture('group'), now)).toEqual({
      messages: [],
      statuses: [],
      ignored: [
        {
          provider: 'evolution',
          instanceId: INSTANCE,
          messageId: '9E8D7C6B5A4938271605F4E3D2C1B0A9',
          reason: 'group',
          detail: 'group chat',
        },
      ],
    });
  });
});

describe('parseEvolutionWebhook with synthetic payloads', () => {
  it('accepts the MESSAGES_UPSERT spelling and an array of records', () => {
    const body = fixture('text');
    const second = { ...body.data, key: { ...(body.data.key as object), id: 'SECOND' } };
    const parsed = parseEvolutionWebhook(
      { ...body, event: 'MESSAGES_UPSERT', data: [body.data, second] },
      now,
    );
    expect(parsed.messages.map((m) => m.messageId)).toEqual(['3A5F0C2B9D7E41A6B8C3', 'SECOND']);
  });

  it('takes the phone from remoteJidAlt and keeps the lid when the chat is a lid', () => {
    const message = onlyMessage(
      upsert(
        {},
        {
          remoteJid: '203948571029384@lid',
          remoteJidAlt: '5511987650001@s.whatsapp.net',
          addressingMode: 'lid',
        },
      ),
    );
    expect(message).toMatchObject({
      chatId: '203948571029384@lid',
      phone: '5511987650001',
      lid: '203948571029384@lid',
    });
  });

  it('keeps a lid without a phone when there is no alternative JID', () => {
    expect(onlyMessage(upsert({}, { remoteJid: '203948571029384@lid' }))).toMatchObject({
      chatId: '203948571029384@lid',
      phone: null,
      lid: '203948571029384@lid',
    });
  });

  it('coerces a Long or string timestamp to milliseconds', () => {
    expect(
      onlyMessage(upsert({ messageTimestamp: { low: 1760452312, high: 0, unsigned: false } })).timestampMs,
    ).toBe(1760452312000);
    expect(onlyMessage(upsert({ messageTimestamp: '1760452312' })).timestampMs).toBe(1760452312000);
  });

  it('reads a low word past 2^31 as unsigned', () => {
    // 2_200_000_000 s does not fit a signed 32-bit int, so protobuf JSON shows it negative.
    const low = 2_200_000_000 - 2 ** 32;
    expect(onlyMessage(upsert({ messageTimestamp: { low, high: 0 } })).timestampMs).toBe(2_200_000_000_000);
  });

  it('reads the quoted id from data.contextInfo or from inside the content', () => {
    expect(onlyMessage(upsert({ contextInfo: { stanzaId: 'QUOTED1', participant: 'x' } })).quotedId).toBe(
      'QUOTED1',
    );
    const message = { extendedTextMessage: { text: 'sim', contextInfo: { stanzaId: 'QUOTED2' } } };
    expect(onlyMessage(upsert({ message, messageType: 'extendedTextMessage' })).quotedId).toBe('QUOTED2');
  });

  it('reads decrypted base64 and the S3 mediaUrl of an audio when present', () => {
    const message = {
      audioMessage: {
        url: 'https://mmg.whatsapp.net/x.enc',
        mimetype: 'audio/ogg; codecs=opus',
        seconds: 3,
        ptt: false,
      },
      base64: 'T2dnUw==',
      mediaUrl: 'https://s3.exemplo.com.br/evolution/audio.oga',
    };
    expect(onlyMessage(upsert({ message, messageType: 'audioMessage' })).media).toEqual({
      kind: 'audio',
      mediaId: '3A5F0C2B9D7E41A6B8C3',
      url: 'https://s3.exemplo.com.br/evolution/audio.oga',
      base64: 'T2dnUw==',
      mimeType: 'audio/ogg; codecs=opus',
      seconds: 3,
      isVoice: false,
    });
  });

  it('reads an image with its caption', () => {
    const message = {
      imageMessage: { caption: 'Nossa fachada', mimetype: 'image/jpeg', url: 'https://x.enc' },
    };
    const parsed = onlyMessage(upsert({ message, messageType: 'imageMessage' }));
    expect(parsed).toMatchObject({ kind: 'image', text: 'Nossa fachada' });
    expect(parsed.media).toMatchObject({
      kind: 'image',
      mediaId: '3A5F0C2B9D7E41A6B8C3',
      url: null,
      mimeType: 'image/jpeg',
    });
  });

  it.each([
    ['buttonsResponseMessage', { selectedButtonId: 'b1', selectedDisplayText: 'Sim, quero' }, 'Sim, quero'],
    [
      'listResponseMessage',
      { title: 'Secador S300', singleSelectReply: { selectedRowId: 'r1' } },
      'Secador S300',
    ],
    [
      'templateButtonReplyMessage',
      { selectedId: 't1', selectedDisplayText: 'Falar com vendas' },
      'Falar com vendas',
    ],
  ])('reads a %s as a button', (messageType, content, text) => {
    const message = { [messageType]: content };
    expect(onlyMessage(upsert({ message, messageType }))).toMatchObject({ kind: 'button', text });
  });

  it.each([
    ['a reaction', { message: { reactionMessage: { key: { id: 'X' }, text: '👍' } } }, {}, 'reaction'],
    ['a status post', {}, { remoteJid: 'status@broadcast' }, 'status_broadcast'],
    ['a newsletter post', {}, { remoteJid: '120363123456789012@newsletter' }, 'newsletter'],
    [
      'a sticker',
      { message: { stickerMessage: { url: 'x' } }, messageType: 'stickerMessage' },
      {},
      'unsupported_type',
    ],
    ['a record without message', { message: null, messageType: 'protocolMessage' }, {}, 'no_content'],
    ['an empty text', { message: { conversation: '' } }, {}, 'no_content'],
  ])('ignores %s', (_label, fields, key, reason) => {
    const parsed = parseEvolutionWebhook(upsert(fields, key), now);
    expect(parsed.messages).toEqual([]);
    expect(parsed.ignored).toMatchObject([
      { provider: 'evolution', instanceId: INSTANCE, messageId: '3A5F0C2B9D7E41A6B8C3', reason },
    ]);
  });

  it('names the content of an unsupported type', () => {
    const parsed = parseEvolutionWebhook(
      upsert({ message: { videoMessage: {} }, messageType: 'videoMessage' }),
      now,
    );
    expect(parsed.ignored).toMatchObject([{ reason: 'unsupported_type', detail: 'type=videoMessage' }]);
  });

  it('emits a status per messages.update item, keyed by keyId or key.id', () => {
    const body = {
      event: 'messages.update',
      instance: INSTANCE,
      data: [
        { keyId: 'OUT1', remoteJid: '5511987650001@s.whatsapp.net', fromMe: true, status: 'DELIVERY_ACK' },
        { key: { id: 'OUT2' }, remoteJid: '5511987650001@s.whatsapp.net', fromMe: true, status: 'READ' },
      ],
    };
    const base = { provider: 'evolution', instanceId: INSTANCE, timestampMs: NOW_MS, error: null };
    expect(parseEvolutionWebhook(body, now)).toEqual({
      messages: [],
      statuses: [
        { ...base, providerMessageId: 'OUT1', status: 'delivered' },
        { ...base, providerMessageId: 'OUT2', status: 'read' },
      ],
      ignored: [],
    });
  });

  it.each([
    ['SERVER_ACK', 'sent'],
    ['DELIVERY_ACK', 'delivered'],
    ['READ', 'read'],
    ['PLAYED', 'played'],
    ['ERROR', 'failed'],
    [2, 'sent'],
    [0, 'failed'],
  ])('maps update status %s to %s', (evolutionStatus, status) => {
    const body = {
      event: 'MESSAGES_UPDATE',
      instance: INSTANCE,
      data: { keyId: 'OUT1', fromMe: true, status: evolutionStatus },
    };
    expect(parseEvolutionWebhook(body, now).statuses).toMatchObject([{ providerMessageId: 'OUT1', status }]);
  });

  it('ignores a PENDING update and a receipt of the lead’s own message', () => {
    const pending = {
      event: 'messages.update',
      instance: INSTANCE,
      data: { keyId: 'OUT1', fromMe: true, status: 'PENDING' },
    };
    expect(parseEvolutionWebhook(pending, now).ignored).toMatchObject([
      { reason: 'other_event', detail: 'status=PENDING' },
    ]);
    const inbound = {
      event: 'messages.update',
      instance: INSTANCE,
      data: { keyId: 'IN1', fromMe: false, status: 'READ' },
    };
    const parsed = parseEvolutionWebhook(inbound, now);
    expect(parsed.statuses).toEqual([]);
    expect(parsed.ignored).toMatchObject([{ reason: 'other_event', messageId: null }]);
  });

  it.each(['send.message', 'SEND_MESSAGE', 'connection.update', 'presence.update', 'messages.delete'])(
    'ignores %s as another event without a message id',
    (event) => {
      const body = { ...fixture('from_me'), event };
      expect(parseEvolutionWebhook(body, now)).toEqual({
        messages: [],
        statuses: [],
        ignored: [
          {
            provider: 'evolution',
            instanceId: INSTANCE,
            messageId: null,
            reason: 'other_event',
            detail: `event=${event.toLowerCase().replaceAll('_', '.')}`,
          },
        ],
      });
    },
  );

  it('ignores an upsert record it cannot read, keeping its key id', () => {
    const body = { event: 'messages.upsert', instance: INSTANCE, data: { key: { id: 'K1' } } };
    expect(parseEvolutionWebhook(body, now).ignored).toMatchObject([
      { reason: 'unknown_shape', messageId: 'K1' },
    ]);
  });

  it.each([
    ['an empty object', {}],
    ['an array', []],
    ['null', null],
    ['a string', 'messages.upsert'],
    ['an upsert without instance', { event: 'messages.upsert', data: {} }],
  ])('returns one unknown_shape event for %s without throwing', (_label, body) => {
    expect(parseEvolutionWebhook(body, now)).toEqual({
      messages: [],
      statuses: [],
      ignored: [
        {
          provider: 'evolution',
          instanceId: null,
          messageId: null,
          reason: 'unknown_shape',
          detail: expect.any(String),
        },
      ],
    });
  });
});

describe('parseEvolutionWebhook with a click-to-WhatsApp referral', () => {
  // Baileys ExternalAdReplyInfo, as Evolution passes contextInfo through.
  const externalAdReply = {
    title: 'Envasadoras Seleto',
    body: 'Máquinas para a sua linha',
    mediaType: 'IMAGE',
    thumbnailUrl: 'https://example.com/thumb.jpg',
    sourceType: 'ad',
    sourceId: '120208765432100123',
    sourceUrl: 'https://fb.me/abc',
    ctwaClid: 'Afc1234-click',
    showAdAttribution: true,
  };
  const expected = {
    sourceType: 'ad',
    sourceId: '120208765432100123',
    sourceUrl: 'https://fb.me/abc',
    headline: 'Envasadoras Seleto',
    ctwaClid: 'Afc1234-click',
  };

  it('reads the ad from data.contextInfo', () => {
    expect(onlyMessage(upsert({ contextInfo: { externalAdReply } })).referral).toEqual(expected);
  });

  it('reads the ad from the content’s own contextInfo (extendedTextMessage)', () => {
    const message = { extendedTextMessage: { text: 'Oi', contextInfo: { externalAdReply } } };
    expect(onlyMessage(upsert({ message, messageType: 'extendedTextMessage' })).referral).toEqual(expected);
  });

  it('leaves referral out when there is none or it is unreadable', () => {
    expect(onlyMessage(fixture('text'))).not.toHaveProperty('referral');
    const odd = onlyMessage(upsert({ contextInfo: { externalAdReply: 'ad' } }));
    expect(odd.text).toBe('Boa tarde, vocês entregam no Tatuapé?');
    expect(odd).not.toHaveProperty('referral');
  });
});
