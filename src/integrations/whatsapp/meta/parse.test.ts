import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../types.js';
import { parseMetaWebhook } from './parse.js';

const PHONE_NUMBER_ID = '109876543210987';

function fixture(name: string): unknown {
  const url = new URL(`../../../../tests/fixtures/whatsapp/meta/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8'));
}

/** A `messages` change around the given value fields, as Meta posts it. */
function webhook(value: Record<string, unknown>, field = 'messages'): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '201234567890123',
        changes: [
          {
            field,
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '5511933330000', phone_number_id: PHONE_NUMBER_ID },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

function inbound(fields: Record<string, unknown>): Record<string, unknown> {
  return { from: '5511987650001', id: 'wamid.SYNTHETIC1', timestamp: '1760452312', ...fields };
}

function onlyMessage(body: unknown): InboundMessage {
  const parsed = parseMetaWebhook(body);
  expect(parsed.statuses).toEqual([]);
  expect(parsed.ignored).toEqual([]);
  expect(parsed.messages).toHaveLength(1);
  return parsed.messages[0] as InboundMessage;
}

describe('parseMetaWebhook with the shared fixtures', () => {
  it('reads an inbound text with its contact name', () => {
    expect(parseMetaWebhook(fixture('text'))).toEqual({
      messages: [
        {
          provider: 'meta',
          instanceId: PHONE_NUMBER_ID,
          messageId: 'wamid.HBgNNTUxMTk4NzY1MDAwMRUCABIYFDNBQTFCMkMzRDRFNUY2MDcxODI5AA==',
          chatId: '5511987650001',
          phone: '5511987650001',
          lid: null,
          name: 'Ana Souza',
          kind: 'text',
          text: 'Oi! Vocês abrem no sábado?',
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

  it('reads a voice note with its media id, url and voice flag', () => {
    const message = onlyMessage(fixture('audio'));
    expect(message).toMatchObject({ kind: 'audio', text: null, name: 'Bruno Lima', phone: '5511987650002' });
    expect(message.media).toEqual({
      kind: 'audio',
      mediaId: '1402558391247765',
      url: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1402558391247765&ext=1760452698&hash=ATvInventedHash01',
      base64: null,
      mimeType: 'audio/ogg; codecs=opus',
      seconds: null,
      isVoice: true,
    });
    expect(message.timestampMs).toBe(1760452398000);
  });

  it('reads an image with its caption as text', () => {
    const message = onlyMessage(fixture('image_caption'));
    expect(message).toMatchObject({
      kind: 'image',
      text: 'Segue a foto do comprovante',
      name: 'Carla Mendes',
    });
    expect(message.media).toMatchObject({
      kind: 'image',
      mediaId: '1287734490011235',
      mimeType: 'image/jpeg',
      isVoice: false,
    });
  });

  it('reads a reply button tap as a button with its title and the quoted message', () => {
    const message = onlyMessage(fixture('button_reply'));
    expect(message).toMatchObject({
      kind: 'button',
      text: 'Confirmar',
      media: null,
      quotedId: 'wamid.HBgNNTUxMTk4NzY1MDAwMRUCABIYFEJCMTFDQzIyREQzM0VFNDRGRjU1AA==',
      timestampMs: 1760452530000,
    });
  });

  it('reads a read receipt as a status update', () => {
    expect(parseMetaWebhook(fixture('status_read'))).toEqual({
      messages: [],
      statuses: [
        {
          provider: 'meta',
          instanceId: PHONE_NUMBER_ID,
          providerMessageId: 'wamid.HBgNNTUxMTk4NzY1MDAwMRUCABIYFEJCMTFDQzIyREQzM0VFNDRGRjU1AA==',
          status: 'read',
          timestampMs: 1760452601000,
          error: null,
        },
      ],
      ignored: [],
    });
  });

  it('reads a failed status with the first error code and message', () => {
    const { statuses } = parseMetaWebhook(fixture('status_failed'));
    expect(statuses).toEqual([
      {
        provider: 'meta',
        instanceId: PHONE_NUMBER_ID,
        providerMessageId: 'wamid.HBgNNTUxMTk4NzY1MDAwNBUCABIYFENDOTk4ODc3NjY1NTQ0MzMyMkFBAA==',
        status: 'failed',
        timestampMs: 1760452700000,
        error: { code: '131047', message: 'Re-engagement message' },
      },
    ]);
  });
});

describe('parseMetaWebhook with synthetic payloads', () => {
  it('reads every message and status of a batched POST', () => {
    const body = webhook({
      contacts: [
        { profile: { name: 'Ana Souza' }, wa_id: '5511987650001' },
        { profile: { name: 'Bruno Lima' }, wa_id: '553187650080' },
      ],
      messages: [
        inbound({ id: 'wamid.A', type: 'text', text: { body: 'primeira' } }),
        inbound({ id: 'wamid.B', from: '553187650080', type: 'text', text: { body: 'segunda' } }),
      ],
      statuses: [
        { id: 'wamid.OURS', status: 'delivered', timestamp: '1760452400', recipient_id: '5511987650001' },
      ],
    });
    const parsed = parseMetaWebhook(body);
    expect(parsed.messages.map((m) => [m.messageId, m.name, m.text])).toEqual([
      ['wamid.A', 'Ana Souza', 'primeira'],
      ['wamid.B', 'Bruno Lima', 'segunda'],
    ]);
    expect(parsed.statuses).toMatchObject([{ providerMessageId: 'wamid.OURS', status: 'delivered' }]);
    expect(parsed.statuses[0]).not.toHaveProperty('reference');
    expect(parsed.ignored).toEqual([]);
  });

  it('reads the reference we set on the send back from a receipt', () => {
    const body = webhook({
      statuses: [
        {
          id: 'wamid.OURS',
          status: 'sent',
          timestamp: '1760452400',
          recipient_id: '5511987650001',
          biz_opaque_callback_data: '5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f',
        },
      ],
    });
    expect(parseMetaWebhook(body).statuses).toEqual([
      {
        provider: 'meta',
        instanceId: expect.any(String),
        providerMessageId: 'wamid.OURS',
        status: 'sent',
        timestampMs: 1_760_452_400_000,
        error: null,
        reference: '5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f',
      },
    ]);
  });

  it('reads every entry and change, not only the first', () => {
    const first = webhook({ messages: [inbound({ id: 'wamid.1', type: 'text', text: { body: 'um' } })] }) as {
      entry: unknown[];
    };
    const second = webhook({
      messages: [inbound({ id: 'wamid.2', type: 'text', text: { body: 'dois' } })],
    }) as {
      entry: unknown[];
    };
    const parsed = parseMetaWebhook({
      object: 'whatsapp_business_account',
      entry: [...first.entry, ...second.entry],
    });
    expect(parsed.messages.map((m) => m.messageId)).toEqual(['wamid.1', 'wamid.2']);
  });

  it('replies to the BSUID when a username user comes with an empty wa_id', () => {
    const body = webhook({
      contacts: [{ profile: { name: 'Ana', username: 'ana.souza' }, wa_id: '', user_id: 'user.4f2a9c' }],
      messages: [inbound({ from: '', from_user_id: 'user.4f2a9c', type: 'text', text: { body: 'oi' } })],
    });
    expect(onlyMessage(body)).toMatchObject({ chatId: 'user.4f2a9c', phone: null, lid: null, name: 'Ana' });
  });

  it('does not take the name of another contact when wa_id is empty', () => {
    const body = webhook({
      contacts: [{ profile: { name: 'Outra Pessoa' }, wa_id: '' }],
      messages: [inbound({ from: '', from_user_id: 'user.77', type: 'text', text: { body: 'oi' } })],
    });
    expect(onlyMessage(body).name).toBeNull();
  });

  it('reads a list pick as a button with the row title', () => {
    const interactive = {
      type: 'list_reply',
      list_reply: { id: 'row_2', title: 'Secador 300 kg/h', description: 'x' },
    };
    expect(onlyMessage(webhook({ messages: [inbound({ type: 'interactive', interactive })] }))).toMatchObject(
      {
        kind: 'button',
        text: 'Secador 300 kg/h',
      },
    );
  });

  it('reads a template quick-reply button as a button with its text', () => {
    const button = { payload: 'QUERO_ORCAMENTO', text: 'Quero um orçamento' };
    expect(onlyMessage(webhook({ messages: [inbound({ type: 'button', button })] }))).toMatchObject({
      kind: 'button',
      text: 'Quero um orçamento',
    });
  });

  it('takes the digits of a sender written with a plus sign as the phone, and keeps the chatId', () => {
    const body = webhook({
      messages: [inbound({ from: '+5511987650001', type: 'text', text: { body: 'oi' } })],
    });
    expect(onlyMessage(body)).toMatchObject({ chatId: '+5511987650001', phone: '5511987650001' });
  });

  it.each([
    [
      'a reaction',
      { type: 'reaction', reaction: { message_id: 'wamid.OURS', emoji: '👍' } },
      'reaction',
      'type=reaction',
    ],
    [
      'a group message',
      { type: 'text', text: { body: 'oi' }, group_id: '120363000000000000' },
      'group',
      'group_id present',
    ],
    ['a text without body', { type: 'text' }, 'no_content', 'type=text without content'],
    [
      'a flow reply',
      { type: 'interactive', interactive: { type: 'nfm_reply' } },
      'unsupported_type',
      'type=interactive/nfm_reply',
    ],
  ])('ignores %s', (_label, fields, reason, detail) => {
    const parsed = parseMetaWebhook(webhook({ messages: [inbound(fields)] }));
    expect(parsed.messages).toEqual([]);
    expect(parsed.ignored).toEqual([
      { provider: 'meta', instanceId: PHONE_NUMBER_ID, messageId: 'wamid.SYNTHETIC1', reason, detail },
    ]);
  });

  it.each(['video', 'document', 'sticker', 'location', 'contacts', 'order', 'system', 'unsupported'])(
    'ignores a %s message as an unsupported type',
    (type) => {
      const parsed = parseMetaWebhook(webhook({ messages: [inbound({ type, [type]: {} })] }));
      expect(parsed.messages).toEqual([]);
      expect(parsed.ignored).toMatchObject([
        { reason: 'unsupported_type', detail: `type=${type}`, messageId: 'wamid.SYNTHETIC1' },
      ]);
    },
  );

  it('ignores value-level errors and other fields as other events', () => {
    const errors = webhook({ errors: [{ code: 131000, title: 'Something went wrong' }] });
    expect(parseMetaWebhook(errors).ignored).toEqual([
      {
        provider: 'meta',
        instanceId: PHONE_NUMBER_ID,
        messageId: null,
        reason: 'other_event',
        detail: 'error code=131000',
      },
    ]);
    const echoes = webhook({ message_echoes: [] }, 'smb_message_echoes');
    expect(parseMetaWebhook(echoes).ignored).toMatchObject([
      { reason: 'other_event', detail: 'field=smb_message_echoes' },
    ]);
  });

  it('ignores a status it does not know, such as deleted', () => {
    const body = webhook({ statuses: [{ id: 'wamid.OURS', status: 'deleted', timestamp: '1760452400' }] });
    const parsed = parseMetaWebhook(body);
    expect(parsed.statuses).toEqual([]);
    expect(parsed.ignored).toMatchObject([{ reason: 'other_event', detail: 'status=deleted' }]);
  });

  it('keeps the rest of a batch when one item does not match, with the bad item’s id', () => {
    const body = webhook({
      messages: [
        { id: 'wamid.BROKEN', type: 'text' },
        inbound({ id: 'wamid.OK', type: 'text', text: { body: 'oi' } }),
      ],
    });
    const parsed = parseMetaWebhook(body);
    expect(parsed.messages.map((m) => m.messageId)).toEqual(['wamid.OK']);
    expect(parsed.ignored).toMatchObject([{ reason: 'unknown_shape', messageId: 'wamid.BROKEN' }]);
  });

  it('ignores webhooks of other Meta products', () => {
    expect(parseMetaWebhook({ object: 'page', entry: [] }).ignored).toMatchObject([
      { reason: 'other_event', detail: 'object=page' },
    ]);
  });

  it.each([
    ['an empty object', {}],
    ['an array', []],
    ['null', null],
    ['a string', 'hello'],
    ['a number', 42],
    ['entries of the wrong shape', { object: 'whatsapp_business_account', entry: [{ nope: true }] }],
  ])('returns one unknown_shape event for %s without throwing', (_label, body) => {
    expect(parseMetaWebhook(body)).toEqual({
      messages: [],
      statuses: [],
      ignored: [
        {
          provider: 'meta',
          instanceId: null,
          messageId: null,
          reason: 'unknown_shape',
          detail: expect.any(String),
        },
      ],
    });
  });
});

describe('parseMetaWebhook with a click-to-WhatsApp referral', () => {
  // Shaped like Meta's referral object on the first message after an ad click (contract §1.3).
  const referral = {
    source_url: 'https://fb.me/3aBcDeFgH',
    source_id: '120208765432100123',
    source_type: 'ad',
    headline: 'Envasadoras Seleto: peça um orçamento',
    body: 'Máquinas para a sua linha de produção',
    media_type: 'image',
    image_url: 'https://scontent.example/ad.jpg',
    ctwa_clid:
      'ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a',
  };

  it('carries the ad id, headline, url and click id on the message', () => {
    const message = onlyMessage(
      webhook({ messages: [inbound({ type: 'text', text: { body: 'Oi' }, referral })] }),
    );
    expect(message.referral).toEqual({
      sourceType: 'ad',
      sourceId: '120208765432100123',
      sourceUrl: 'https://fb.me/3aBcDeFgH',
      headline: 'Envasadoras Seleto: peça um orçamento',
      ctwaClid: referral.ctwa_clid,
    });
  });

  it('leaves referral out when there is none, and drops an odd one without losing the message', () => {
    const plain = onlyMessage(webhook({ messages: [inbound({ type: 'text', text: { body: 'Oi' } })] }));
    expect(plain).not.toHaveProperty('referral');
    for (const odd of ['ad', {}, { source_id: { nested: true } }, null]) {
      const message = onlyMessage(
        webhook({ messages: [inbound({ type: 'text', text: { body: 'Oi' }, referral: odd })] }),
      );
      expect(message.text).toBe('Oi');
      expect(message).not.toHaveProperty('referral');
    }
  });
});
