import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VOICE_NOTE_FALLBACK } from '../src/services/voice-note.service.js';
import { fixture, phoneFor, zapiAudio, zapiText } from './factories.js';
import { createFakeOpenAI, type FakeOpenAI } from './fakes/openai.js';
import type { FakeWhatsAppProvider } from './fakes/whatsapp-provider.js';
import { oggOpusSample, pngBytes, wavSample } from './helpers/audio-samples.js';
import {
  createEchoAgent,
  EVOLUTION_WEBHOOK_SECRET,
  providerEnv,
  startFakeProvider,
  ZAPI_WEBHOOK_SECRET,
} from './helpers/pipeline.js';
import { startTestService, type TestService } from './helpers/service.js';
import { waitUntilSettled } from './helpers/settled.js';

/**
 * Voice notes through the whole service: Z-API webhook, media from the fake provider's storage,
 * transcription by the fake OpenAI server, the echo agent showing what the turn read.
 */
let provider: FakeWhatsAppProvider;
let urls: Awaited<ReturnType<FakeWhatsAppProvider['start']>>;
let openai: FakeOpenAI;
let openaiUrl: string;
let t: TestService | undefined;

beforeAll(async () => {
  ({ fake: provider, urls } = await startFakeProvider());
  openai = createFakeOpenAI();
  ({ baseUrl: openaiUrl } = await openai.start());
});
afterEach(async () => {
  await t?.stop();
  t = undefined;
  provider.reset();
  openai.reset();
});
afterAll(async () => {
  await provider.stop();
  await openai.stop();
});

async function start(env: Record<string, string> = {}) {
  t = await startTestService(
    {
      ...providerEnv('zapi', urls),
      OPENAI_API_KEY: 'sk-test-fake',
      OPENAI_BASE_URL: openaiUrl,
      OPENAI_MAX_RETRIES: '0',
      OPENAI_TIMEOUT_MS: '1000',
      AUDIO_MAX_BYTES: String(256 * 1024),
      AUDIO_MAX_SECONDS: '60',
      ...env,
    },
    { agent: createEchoAgent().agent },
  );
  return t;
}

async function post(body: unknown) {
  const response = await (t as TestService).service.app.inject({
    method: 'POST',
    url: `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  expect(response.statusCode).toBe(200);
}

/** A voice note whose audio the fake provider serves from its storage. */
async function sendVoiceNote(phone: string, id: string, bytes: Buffer, mimeType = 'audio/ogg; codecs=opus') {
  provider.addMedia(id, bytes, mimeType);
  await post(zapiAudio({ phone, audioUrl: provider.mediaUrl('storage', id) }));
}

async function rows(sql: string) {
  return (await (t as TestService).service.pool.query(sql)).rows;
}

const sentTexts = () => provider.sends.map((send) => send.text);
const failures = async () =>
  (await rows(`select data->>'reason' as reason from agent_events where type = 'voice_note_failed'`)).map(
    (row) => row.reason,
  );

describe('voice notes', () => {
  it('reads a voice note like text, in the same turn as the messages around it', async () => {
    const service = await start();
    openai.transcripts({ text: 'Preciso de uma envasadora para xarope' });
    const phone = phoneFor(700);
    await sendVoiceNote(phone, 'note-1', oggOpusSample(3));
    await post(zapiText({ phone, text: 'é urgente' }));
    await waitUntilSettled(service.service.pool);

    expect(sentTexts()).toEqual(['Recebi: Preciso de uma envasadora para xarope | é urgente']);
    const [message] = await rows(`select transcript, media_status, media from messages where kind = 'audio'`);
    expect(message).toMatchObject({
      transcript: 'Preciso de uma envasadora para xarope',
      media_status: 'transcribed',
    });
    const [request] = openai.transcriptionRequests();
    expect(request).toMatchObject({ language: 'pt', model: 'whisper-1' });
    expect(request?.file?.filename).toMatch(/\.ogg$/);
    // LGPD: the audio itself is not kept.
    expect(await rows('select 1 from audio_files')).toHaveLength(0);
  });

  it('keeps the audio when AUDIO_RETAIN=true', async () => {
    const service = await start({ AUDIO_RETAIN: 'true' });
    openai.transcripts({ text: 'Bom dia' });
    await sendVoiceNote(phoneFor(701), 'note-2', wavSample(1), 'audio/wav');
    await waitUntilSettled(service.service.pool);
    expect(await rows('select mime_type from audio_files')).toEqual([{ mime_type: 'audio/wav' }]);
  });

  it.each([
    ['too_large', () => oggOpusSample(2), { oversized: {} }],
    ['unsupported_type', () => pngBytes(), {}],
    ['too_long', () => oggOpusSample(600), {}],
  ] as const)(
    'asks the lead to write when the note is %s, and answers the rest',
    async (reason, bytes, options) => {
      const service = await start();
      const phone = phoneFor(710 + reason.length);
      provider.addMedia(`bad-${reason}`, bytes(), 'audio/ogg; codecs=opus', options);
      await post(zapiAudio({ phone, audioUrl: provider.mediaUrl('storage', `bad-${reason}`) }));
      await post(zapiText({ phone, text: 'procuro uma rotuladora' }));
      await waitUntilSettled(service.service.pool);

      expect(sentTexts()).toEqual([VOICE_NOTE_FALLBACK, 'Recebi: procuro uma rotuladora']);
      expect(await failures()).toEqual([reason]);
      expect(openai.transcriptionRequests()).toHaveLength(0);
      const metrics = await service.service.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toContain(`voice_notes_total{outcome="${reason}"} 1`);
    },
  );

  it('reads an audio Evolution inlined as base64, and keeps no copy of it', async () => {
    const service = await start({ ...providerEnv('evolution', urls), WHATSAPP_PROVIDER: 'evolution' });
    openai.transcripts({ text: 'Quero uma tampadora' });
    const payload = JSON.parse(fixture('evolution', 'audio').toString()) as {
      data: { key: { remoteJid: string; id: string }; message: Record<string, unknown> };
    };
    payload.data.key.remoteJid = `${phoneFor(730)}@s.whatsapp.net`;
    payload.data.message.base64 = oggOpusSample(2).toString('base64');
    const response = await service.service.app.inject({
      method: 'POST',
      url: `/webhooks/whatsapp/evolution?token=${EVOLUTION_WEBHOOK_SECRET}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
    expect(response.statusCode).toBe(200);
    await waitUntilSettled(service.service.pool);
    expect(sentTexts()).toEqual(['Recebi: Quero uma tampadora']);
    const [message] = await rows(`select media from messages where kind = 'audio'`);
    expect(message?.media).not.toHaveProperty('base64');
    const [event] = await rows(`select payload from inbound_events where event_type = 'message'`);
    expect(event?.payload.media).not.toHaveProperty('base64');
  });

  it('asks the lead to write when transcription times out', async () => {
    const service = await start();
    openai.transcripts({ delayMs: 3_000 });
    await sendVoiceNote(phoneFor(720), 'slow', oggOpusSample(2));
    await waitUntilSettled(service.service.pool);
    expect(sentTexts()).toEqual([VOICE_NOTE_FALLBACK]);
    expect(await failures()).toEqual(['transcription_failed']);
  });

  it('asks the lead to write when no transcription is configured', async () => {
    const service = await start({ OPENAI_API_KEY: '' });
    await sendVoiceNote(phoneFor(721), 'nokey', oggOpusSample(2));
    await waitUntilSettled(service.service.pool);
    expect(sentTexts()).toEqual([VOICE_NOTE_FALLBACK]);
    expect(await failures()).toEqual(['not_configured']);
  });
});
