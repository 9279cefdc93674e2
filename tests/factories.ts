import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Webhook bodies shaped like the shared fixtures, with the fields a test varies. */

export const META_APP_SECRET = 'test-app-secret';
export const META_PHONE_NUMBER_ID = '109876543210987';
export const ZAPI_INSTANCE_ID = '3D1F6A9B2C4E8F7A1B2C3D4E5F6A7B8C';
export const EVOLUTION_INSTANCE = 'loja-centro';

export function fixture(provider: string, name: string): Buffer {
  return readFileSync(new URL(`./fixtures/whatsapp/${provider}/${name}.json`, import.meta.url));
}

export function newMessageId(prefix = ''): string {
  return `${prefix}${randomBytes(10).toString('hex').toUpperCase()}`;
}

/** A Brazilian mobile number, distinct per n. */
export function phoneFor(n: number): string {
  return `55119${String(87_650_000 + n).padStart(8, '0')}`;
}

export function zapiText(input: { phone: string; text: string; messageId?: string; fromMe?: boolean }) {
  return {
    type: 'ReceivedCallback',
    instanceId: ZAPI_INSTANCE_ID,
    messageId: input.messageId ?? newMessageId(),
    phone: input.phone,
    fromMe: input.fromMe ?? false,
    fromApi: false,
    momment: Date.now(),
    status: 'RECEIVED',
    isGroup: false,
    isNewsletter: false,
    broadcast: false,
    isStatusReply: false,
    waitingMessage: false,
    senderName: 'Lead de Teste',
    chatName: 'Lead de Teste',
    connectedPhone: '5511933330000',
    text: { message: input.text },
  };
}

/** A Z-API voice note (contract fixture zapi/audio.json) whose audio is at `audioUrl`. */
export function zapiAudio(input: { phone: string; audioUrl: string; seconds?: number; messageId?: string }) {
  const { text: _text, ...base } = zapiText({ phone: input.phone, text: '', messageId: input.messageId });
  return {
    ...base,
    audio: {
      ptt: true,
      seconds: input.seconds ?? 5,
      audioUrl: input.audioUrl,
      mimeType: 'audio/ogg; codecs=opus',
    },
  };
}

/** Meta's envelope around one `messages`-field value (contract §1.2). */
function metaEnvelope<V extends Record<string, unknown>>(value: V) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '201234567890123',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '5511933330000', phone_number_id: META_PHONE_NUMBER_ID },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

export function metaText(input: { phone: string; text: string; messageId?: string; name?: string }) {
  return metaEnvelope({
    contacts: [{ profile: { name: input.name ?? 'Lead de Teste' }, wa_id: input.phone }],
    messages: [
      {
        from: input.phone,
        id: input.messageId ?? `wamid.${newMessageId()}`,
        timestamp: String(Math.floor(Date.now() / 1000)),
        type: 'text',
        text: { body: input.text },
      },
    ],
  });
}

export function metaStatus(input: {
  providerMessageId: string;
  status: string;
  phone: string;
  /** What the send set as biz_opaque_callback_data. */
  reference?: string | null;
}) {
  return metaEnvelope({
    statuses: [
      {
        id: input.providerMessageId,
        status: input.status,
        timestamp: String(Math.floor(Date.now() / 1000)),
        recipient_id: input.phone,
        ...(input.reference ? { biz_opaque_callback_data: input.reference } : {}),
      },
    ],
  });
}

export function evolutionText(input: { phone: string; text: string; messageId?: string; fromMe?: boolean }) {
  return {
    event: 'messages.upsert',
    instance: EVOLUTION_INSTANCE,
    data: {
      key: {
        remoteJid: `${input.phone}@s.whatsapp.net`,
        fromMe: input.fromMe ?? false,
        id: input.messageId ?? newMessageId(),
      },
      pushName: 'Lead de Teste',
      status: 'DELIVERY_ACK',
      message: { conversation: input.text },
      messageType: 'conversation',
      messageTimestamp: Math.floor(Date.now() / 1000),
      instanceId: '7f3c2a1e-5b4d-4c8e-9a6f-2d1b0c9e8a77',
      source: 'android',
    },
    destination: 'http://127.0.0.1/webhooks/whatsapp/evolution',
    date_time: new Date().toISOString(),
    sender: '5511933330000@s.whatsapp.net',
    server_url: 'http://127.0.0.1',
    apikey: null,
  };
}

export function signMeta(body: Buffer | string, secret = META_APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
