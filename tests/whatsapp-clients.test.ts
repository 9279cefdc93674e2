import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  parseRetryAfterMs,
  upstreamErrorFromResponse,
  upstreamErrorFromTransport,
} from '../src/integrations/http-errors.js';
import { base64DecodedLength } from '../src/integrations/whatsapp/download.js';
import {
  createEvolutionClient,
  type EvolutionClient,
} from '../src/integrations/whatsapp/evolution/client.js';
import { createMetaClient, type MetaClient } from '../src/integrations/whatsapp/meta/client.js';
import type { MediaRef } from '../src/integrations/whatsapp/types.js';
import { createZapiClient, type ZapiClient } from '../src/integrations/whatsapp/zapi/client.js';
import {
  createFakeWhatsAppProvider,
  FAKE_CREDENTIALS,
  type FakeWhatsAppProvider,
} from './fakes/whatsapp-provider.js';
import { upstreamFailure } from './helpers/failure.js';
import { freePort } from './helpers/free-port.js';
import { required } from './helpers/required.js';
import { waitFor } from './helpers/wait.js';

const TIMEOUT_MS = 2_000;
const SHORT_TIMEOUT_MS = 300;
const MAX_BYTES = 1024 * 1024;
// One socket read can hand undici up to 64 KiB past the limit before the check runs.
const ONE_CHUNK_BYTES = 64 * 1024;
const LEAD = '5511987650001';
const AUDIO = Buffer.from('OggS fake opus voice note bytes');
const fetchOptions = { maxBytes: MAX_BYTES, timeoutMs: TIMEOUT_MS };

let fake: FakeWhatsAppProvider;
let urls: Awaited<ReturnType<FakeWhatsAppProvider['start']>>;
const clients: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  fake = createFakeWhatsAppProvider({ seed: 7 });
  urls = await fake.start();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await fake.stop();
});
beforeEach(() => fake.reset());

function track<T extends { close(): Promise<void> }>(client: T): T {
  clients.push(client);
  return client;
}

function metaClient(overrides: Partial<Parameters<typeof createMetaClient>[0]> = {}): MetaClient {
  return track(
    createMetaClient({
      graphUrl: urls.metaGraphUrl,
      ...FAKE_CREDENTIALS.meta,
      timeoutMs: TIMEOUT_MS,
      ...overrides,
    }),
  );
}
function zapiClient(overrides: Partial<Parameters<typeof createZapiClient>[0]> = {}): ZapiClient {
  return track(
    createZapiClient({
      baseUrl: urls.zapiBaseUrl,
      ...FAKE_CREDENTIALS.zapi,
      timeoutMs: TIMEOUT_MS,
      ...overrides,
    }),
  );
}
function evolutionClient(
  overrides: Partial<Parameters<typeof createEvolutionClient>[0]> = {},
): EvolutionClient {
  return track(
    createEvolutionClient({
      baseUrl: urls.evolutionBaseUrl,
      ...FAKE_CREDENTIALS.evolution,
      timeoutMs: TIMEOUT_MS,
      ...overrides,
    }),
  );
}

function mediaRef(overrides: Partial<MediaRef>): MediaRef {
  return {
    kind: 'audio',
    mediaId: null,
    url: null,
    base64: null,
    mimeType: null,
    seconds: null,
    isVoice: true,
    ...overrides,
  };
}

function lastRequest() {
  return required(fake.requests.at(-1), 'a request the fake received');
}

/** The shared failure modes every client must map the same way. */
function describeSendFailures(
  name: string,
  makeClient: (timeoutMs?: number) => { sendText: MetaClient['sendText'] },
) {
  describe(`${name} send failures`, () => {
    it('reports a 500 as retryable with the upstream status', async () => {
      fake.fail(1, { status: 500 });
      const error = await upstreamFailure(makeClient().sendText({ to: LEAD, text: 'oi' }));
      expect(error).toMatchObject({ retryable: true, upstreamStatus: 500 });
      expect(fake.sends).toHaveLength(0);
    });

    it('reports a 429 as retryable with the Retry-After delay', async () => {
      fake.fail(1, { status: 429, retryAfterSeconds: 7 });
      const error = await upstreamFailure(makeClient().sendText({ to: LEAD, text: 'oi' }));
      expect(error).toMatchObject({ retryable: true, upstreamStatus: 429, retryAfterMs: 7_000 });
    });

    it('reports a slow answer as a retryable timeout', async () => {
      fake.fail(1, { delayMs: 5_000 });
      const started = Date.now();
      const error = await upstreamFailure(makeClient(SHORT_TIMEOUT_MS).sendText({ to: LEAD, text: 'oi' }));
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('timed out');
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('reports a response lost after the send as retryable, warning it may have been processed', async () => {
      fake.fail(1, { dropAfterAccept: true });
      const error = await upstreamFailure(makeClient().sendText({ to: LEAD, text: 'oi' }));
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('may have been processed');
      expect(error.upstreamStatus).toBeUndefined();
      expect(fake.sends).toHaveLength(1);
    });

    it('recovers on the next call once the fault is used up', async () => {
      fake.fail(1, { status: 503 });
      const client = makeClient();
      await upstreamFailure(client.sendText({ to: LEAD, text: 'first' }));
      const result = await client.sendText({ to: LEAD, text: 'second' });
      expect(result.providerMessageId).toBe(fake.sends[0]?.providerMessageId);
    });
  });
}

describe('Meta client', () => {
  it('sends the contract body with the Bearer token and returns the wamid', async () => {
    const result = await metaClient().sendText({ to: LEAD, text: 'Olá, Ana!' });
    const request = lastRequest();
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/meta/v21.0/${FAKE_CREDENTIALS.meta.phoneNumberId}/messages`);
    expect(request.headers.authorization).toBe(`Bearer ${FAKE_CREDENTIALS.meta.accessToken}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: LEAD,
      type: 'text',
      text: { preview_url: false, body: 'Olá, Ana!' },
    });
    expect(result.providerMessageId).toMatch(/^wamid\./);
    expect(fake.sends).toEqual([
      {
        provider: 'meta',
        to: LEAD,
        text: 'Olá, Ana!',
        quotedId: null,
        reference: null,
        providerMessageId: result.providerMessageId,
        at: expect.any(Date),
      },
    ]);
  });

  it('quotes the lead message through context.message_id', async () => {
    await metaClient().sendText({ to: LEAD, text: 'respondendo', quotedId: 'wamid.QUOTED' });
    expect(lastRequest().body).toMatchObject({ context: { message_id: 'wamid.QUOTED' } });
    expect(fake.sends[0]?.quotedId).toBe('wamid.QUOTED');
  });

  it('sends our reference as biz_opaque_callback_data, which Meta returns in the receipts', async () => {
    const reference = '5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f';
    await metaClient().sendText({ to: LEAD, text: 'oi', reference });
    expect(lastRequest().body).toMatchObject({ biz_opaque_callback_data: reference });
    expect(fake.sends[0]?.reference).toBe(reference);
  });

  it('reports an invalid token as not retryable and names META_ACCESS_TOKEN', async () => {
    const error = await upstreamFailure(
      metaClient({ accessToken: 'expired' }).sendText({ to: LEAD, text: 'oi' }),
    );
    expect(error).toMatchObject({ retryable: false, upstreamStatus: 401, system: 'whatsapp-meta' });
    expect(error.message).toContain('META_ACCESS_TOKEN');
    expect(error.message).toContain('Invalid OAuth access token');
    expect(error.message).toContain('code 190');
  });

  it('treats Graph rate-limit codes as retryable even on a 400', async () => {
    const body = {
      error: { message: '(#131056) Pair rate limit hit', type: 'OAuthException', code: 131056 },
    };
    fake.fail(1, { status: 400, body });
    const error = await upstreamFailure(metaClient().sendText({ to: LEAD, text: 'oi' }));
    expect(error).toMatchObject({ retryable: true, upstreamStatus: 400, retryAfterMs: 6_000 });
    expect(error.message).toContain('Pair rate limit hit (code 131056)');
  });

  it('reports the 24-hour window (131047) as not retryable', async () => {
    const body = {
      error: {
        message: 'Re-engagement message',
        code: 131047,
        error_data: { details: 'more than 24 hours' },
      },
    };
    fake.fail(1, { status: 400, body });
    const error = await upstreamFailure(metaClient().sendText({ to: LEAD, text: 'oi' }));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('template');
    expect(error.message).toContain('Re-engagement message (code 131047): more than 24 hours');
  });

  it('returns a null id instead of failing when a 2xx answer lacks one', async () => {
    fake.fail(1, { status: 200, body: { messaging_product: 'whatsapp' } });
    await expect(metaClient().sendText({ to: LEAD, text: 'oi' })).resolves.toEqual({
      providerMessageId: null,
    });
  });

  describeSendFailures('Meta', (timeoutMs) => metaClient(timeoutMs ? { timeoutMs } : {}));

  it('downloads media in two steps, both with the Bearer token', async () => {
    fake.addMedia('media-1', AUDIO, 'audio/ogg; codecs=opus');
    const media = await metaClient().fetchMedia(mediaRef({ mediaId: 'media-1' }), fetchOptions);
    expect(media.bytes.equals(AUDIO)).toBe(true);
    expect(media.mimeType).toBe('audio/ogg; codecs=opus');
    const [lookup, download] = fake.requests;
    expect(lookup?.path).toBe('/meta/v21.0/media-1');
    expect(download?.path).toMatch(/^\/meta\/lookaside\/media-1/);
    for (const request of [lookup, download]) {
      expect(request?.headers.authorization).toBe(`Bearer ${FAKE_CREDENTIALS.meta.accessToken}`);
    }
  });

  it('downloads a webhook media url directly with the Bearer token', async () => {
    fake.addMedia('media-2', AUDIO, 'audio/ogg');
    const media = await metaClient().fetchMedia(
      mediaRef({ url: fake.mediaUrl('meta', 'media-2') }),
      fetchOptions,
    );
    expect(media.bytes.equals(AUDIO)).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses media whose file_size is over the limit without downloading it', async () => {
    fake.addMedia('huge', AUDIO, 'audio/ogg', { declaredBytes: 50 * MAX_BYTES });
    const error = await upstreamFailure(metaClient().fetchMedia(mediaRef({ mediaId: 'huge' }), fetchOptions));
    expect(error.retryable).toBe(false);
    expect(fake.requests.map((r) => r.path)).toEqual(['/meta/v21.0/huge']);
  });

  it('aborts an endless media stream as soon as it passes the limit', async () => {
    fake.addMedia('endless', AUDIO, 'audio/ogg', { oversized: {} });
    const error = await upstreamFailure(
      metaClient().fetchMedia(mediaRef({ mediaId: 'endless' }), fetchOptions),
    );
    expect(error.retryable).toBe(false);
    const details = error.details as { receivedBytes: number };
    expect(details.receivedBytes).toBeGreaterThan(MAX_BYTES);
    expect(details.receivedBytes).toBeLessThanOrEqual(MAX_BYTES + ONE_CHUNK_BYTES);
    const read = await waitFor(() => fake.mediaReads.find((r) => r.isClosedEarly), { what: 'the hang-up' });
    expect(read.isComplete).toBe(false);
    expect(read.bytesSent).toBeLessThan(64 * MAX_BYTES);
  });
});

describe('Z-API client', () => {
  it('sends phone, message and quoted messageId with the Client-Token header', async () => {
    const result = await zapiClient().sendText({ to: LEAD, text: 'Olá!', quotedId: '3EB0QUOTED' });
    const request = lastRequest();
    const { instanceId, token, clientToken } = FAKE_CREDENTIALS.zapi;
    expect(request.path).toBe(`/zapi/instances/${instanceId}/token/${token}/send-text`);
    expect(request.headers['client-token']).toBe(clientToken);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({ phone: LEAD, message: 'Olá!', messageId: '3EB0QUOTED' });
    expect(result.providerMessageId).toMatch(/^3EB0[0-9A-F]{18}$/);
    expect(fake.sends[0]).toMatchObject({
      provider: 'zapi',
      quotedId: '3EB0QUOTED',
      providerMessageId: result.providerMessageId,
    });
  });

  it('falls back to `id` when the answer has no messageId', async () => {
    fake.fail(1, { status: 200, body: { zaapId: 'Z1', id: '3EB0FROMID' } });
    await expect(zapiClient().sendText({ to: LEAD, text: 'oi' })).resolves.toEqual({
      providerMessageId: '3EB0FROMID',
    });
  });

  it('reports a wrong Client-Token as not retryable and names ZAPI_CLIENT_TOKEN', async () => {
    const error = await upstreamFailure(
      zapiClient({ clientToken: 'wrong' }).sendText({ to: LEAD, text: 'oi' }),
    );
    expect(error).toMatchObject({ retryable: false, upstreamStatus: 401 });
    expect(error.message).toContain('set ZAPI_CLIENT_TOKEN');
  });

  it('reports a missing Client-Token ("null not allowed") as not retryable', async () => {
    const error = await upstreamFailure(
      zapiClient({ clientToken: undefined }).sendText({ to: LEAD, text: 'oi' }),
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('set ZAPI_CLIENT_TOKEN');
    expect(error.message).toContain('null not allowed');
  });

  it('reports a wrong instance token as not retryable without revealing it', async () => {
    const error = await upstreamFailure(
      zapiClient({ token: 'WRONGTOKEN123' }).sendText({ to: LEAD, text: 'oi' }),
    );
    expect(error).toMatchObject({ retryable: false, upstreamStatus: 401 });
    expect(error.message).toContain('ZAPI_TOKEN');
    expect(error.message).not.toContain('WRONGTOKEN123');
  });

  it('masks the path token when the provider echoes the URL in its error', async () => {
    const { instanceId, token } = FAKE_CREDENTIALS.zapi;
    fake.fail(1, {
      status: 502,
      body: { error: `Cannot POST /instances/${instanceId}/token/${token}/send-text` },
    });
    const error = await upstreamFailure(zapiClient().sendText({ to: LEAD, text: 'oi' }));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('/token/***/send-text');
    expect(error.message).not.toContain(token);
  });

  it('keeps the token out of a connection failure', async () => {
    const client = zapiClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    const error = await upstreamFailure(client.sendText({ to: LEAD, text: 'oi' }));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(
      FAKE_CREDENTIALS.zapi.token,
    );
  });

  describeSendFailures('Z-API', (timeoutMs) => zapiClient(timeoutMs ? { timeoutMs } : {}));

  it('downloads media from its plain URL without sending our credentials', async () => {
    fake.addMedia('zapi-audio', AUDIO, 'audio/ogg; codecs=opus');
    const media = await zapiClient().fetchMedia(
      mediaRef({ url: fake.mediaUrl('storage', 'zapi-audio') }),
      fetchOptions,
    );
    expect(media).toEqual({ bytes: AUDIO, mimeType: 'audio/ogg; codecs=opus' });
    const request = lastRequest();
    expect(request.headers['client-token']).toBeUndefined();
    expect(request.headers.authorization).toBeUndefined();
  });

  it('follows a storage redirect', async () => {
    fake.addMedia('moved-audio', AUDIO, 'audio/ogg');
    const media = await zapiClient().fetchMedia(
      mediaRef({ url: fake.mediaUrl('moved', 'moved-audio') }),
      fetchOptions,
    );
    expect(media.bytes.equals(AUDIO)).toBe(true);
  });

  it('rejects a Content-Length over the limit before reading the body', async () => {
    fake.addMedia('declared', AUDIO, 'audio/ogg', { oversized: {}, declaredBytes: 50 * MAX_BYTES });
    const error = await upstreamFailure(
      zapiClient().fetchMedia(mediaRef({ url: fake.mediaUrl('storage', 'declared') }), fetchOptions),
    );
    expect(error.retryable).toBe(false);
    expect(error.details).toEqual({ maxBytes: MAX_BYTES, declaredBytes: 50 * MAX_BYTES });
    const read = await waitFor(() => fake.mediaReads.find((r) => r.isClosedEarly), { what: 'the hang-up' });
    expect(read.bytesSent).toBeLessThan(50 * MAX_BYTES);
  });

  it('aborts an endless media stream as soon as it passes the limit', async () => {
    fake.addMedia('endless', AUDIO, 'audio/ogg', { oversized: {} });
    const error = await upstreamFailure(
      zapiClient().fetchMedia(mediaRef({ url: fake.mediaUrl('storage', 'endless') }), fetchOptions),
    );
    const details = error.details as { receivedBytes: number };
    expect(details.receivedBytes).toBeLessThanOrEqual(MAX_BYTES + ONE_CHUNK_BYTES);
    const read = await waitFor(() => fake.mediaReads.find((r) => r.isClosedEarly), { what: 'the hang-up' });
    expect(read.bytesSent).toBeLessThan(64 * MAX_BYTES);
  });

  it('reports a download that outlives its budget as a retryable timeout', async () => {
    fake.addMedia('slow', AUDIO, 'audio/ogg', { oversized: { totalBytes: 1024 * MAX_BYTES } });
    const ref = mediaRef({ url: fake.mediaUrl('storage', 'slow') });
    const error = await upstreamFailure(
      zapiClient().fetchMedia(ref, { maxBytes: 2048 * MAX_BYTES, timeoutMs: 50 }),
    );
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('timed out');
  });
});

describe('Evolution client', () => {
  it('sends number, text and quoted key with the apikey header and returns key.id', async () => {
    const result = await evolutionClient().sendText({
      to: `${LEAD}@s.whatsapp.net`,
      text: 'Olá!',
      quotedId: '3EB0QUOTED',
    });
    const request = lastRequest();
    expect(request.path).toBe(`/evolution/message/sendText/${FAKE_CREDENTIALS.evolution.instance}`);
    expect(request.headers.apikey).toBe(FAKE_CREDENTIALS.evolution.apiKey);
    expect(request.body).toEqual({
      number: `${LEAD}@s.whatsapp.net`,
      text: 'Olá!',
      quoted: { key: { id: '3EB0QUOTED' } },
    });
    expect(result.providerMessageId).toMatch(/^3EB0[0-9A-F]{18}$/);
    expect(fake.sends[0]).toMatchObject({
      provider: 'evolution',
      providerMessageId: result.providerMessageId,
    });
  });

  it('reports a wrong apikey as not retryable and names EVOLUTION_API_KEY', async () => {
    const error = await upstreamFailure(
      evolutionClient({ apiKey: 'wrong' }).sendText({ to: LEAD, text: 'oi' }),
    );
    expect(error).toMatchObject({ retryable: false, upstreamStatus: 401 });
    expect(error.message).toContain('EVOLUTION_API_KEY');
  });

  it('reports an unknown instance as not retryable and names EVOLUTION_INSTANCE', async () => {
    const error = await upstreamFailure(
      evolutionClient({ instance: 'outra-loja' }).sendText({ to: LEAD, text: 'oi' }),
    );
    expect(error).toMatchObject({ retryable: false, upstreamStatus: 404 });
    expect(error.message).toContain('EVOLUTION_INSTANCE');
  });

  it('reports a recipient who is not on WhatsApp as not retryable', async () => {
    fake.notOnWhatsApp(LEAD);
    const error = await upstreamFailure(evolutionClient().sendText({ to: LEAD, text: 'oi' }));
    expect(error).toMatchObject({ retryable: false, upstreamStatus: 400 });
    expect(error.message).toContain('recipient is not on WhatsApp');
    expect(fake.sends).toHaveLength(0);
  });

  describeSendFailures('Evolution', (timeoutMs) => evolutionClient(timeoutMs ? { timeoutMs } : {}));

  it('decodes media that came inline as base64', async () => {
    const media = await evolutionClient().fetchMedia(
      mediaRef({ base64: AUDIO.toString('base64'), mimeType: 'audio/ogg' }),
      fetchOptions,
    );
    expect(media).toEqual({ bytes: AUDIO, mimeType: 'audio/ogg' });
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses inline base64 over the limit from its length alone', async () => {
    const base64 = Buffer.alloc(2048).toString('base64');
    expect(base64DecodedLength(base64)).toBe(2048);
    const error = await upstreamFailure(
      evolutionClient().fetchMedia(mediaRef({ base64 }), { maxBytes: 2047, timeoutMs: 1_000 }),
    );
    expect(error.retryable).toBe(false);
    expect(error.details).toEqual({ maxBytes: 2047, declaredBytes: 2048 });
  });

  it('fetches media by message id through getBase64FromMediaMessage', async () => {
    fake.addMedia('3EB0AUDIO', AUDIO, 'audio/ogg; codecs=opus');
    const media = await evolutionClient().fetchMedia(mediaRef({ mediaId: '3EB0AUDIO' }), fetchOptions);
    expect(media).toEqual({ bytes: AUDIO, mimeType: 'audio/ogg; codecs=opus' });
    const request = lastRequest();
    expect(request.path).toBe(
      `/evolution/chat/getBase64FromMediaMessage/${FAKE_CREDENTIALS.evolution.instance}`,
    );
    expect(request.headers.apikey).toBe(FAKE_CREDENTIALS.evolution.apiKey);
    expect(request.body).toEqual({ message: { key: { id: '3EB0AUDIO' } }, convertToMp4: false });
  });

  it('prefers the message id over an encrypted WhatsApp CDN url', async () => {
    fake.addMedia('3EB0ENC', AUDIO, 'audio/ogg');
    const ref = mediaRef({ mediaId: '3EB0ENC', url: fake.mediaUrl('storage', 'abc.enc') });
    const media = await evolutionClient().fetchMedia(ref, fetchOptions);
    expect(media.bytes.equals(AUDIO)).toBe(true);
    expect(fake.requests.map((r) => r.path)).toEqual([
      `/evolution/chat/getBase64FromMediaMessage/${FAKE_CREDENTIALS.evolution.instance}`,
    ]);
  });

  it('downloads a storage mediaUrl without sending the apikey', async () => {
    fake.addMedia('s3-audio', AUDIO, 'audio/ogg');
    const media = await evolutionClient().fetchMedia(
      mediaRef({ url: fake.mediaUrl('storage', 's3-audio') }),
      fetchOptions,
    );
    expect(media.bytes.equals(AUDIO)).toBe(true);
    expect(lastRequest().headers.apikey).toBeUndefined();
  });

  it('aborts an endless getBase64FromMediaMessage answer', async () => {
    fake.addMedia('3EB0ENDLESS', AUDIO, 'audio/ogg', { oversized: {} });
    const error = await upstreamFailure(
      evolutionClient().fetchMedia(mediaRef({ mediaId: '3EB0ENDLESS' }), fetchOptions),
    );
    expect(error.retryable).toBe(false);
    const read = await waitFor(() => fake.mediaReads.find((r) => r.isClosedEarly), { what: 'the hang-up' });
    // The JSON envelope carries base64, 4/3 of the bytes, plus a small allowance.
    expect(read.bytesSent).toBeLessThan(64 * MAX_BYTES);
  });
});

describe('fake provider echoes', () => {
  let receiver: Server;
  let receiverUrl: string;
  const received: { url: string; headers: Record<string, unknown>; body: unknown }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          url: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString()),
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
  });
  beforeEach(() => {
    received.length = 0;
  });

  it('posts a Z-API fromMe ReceivedCallback with the id the send returned', async () => {
    fake.echoTo(`${receiverUrl}/webhooks/whatsapp/zapi?token=s3cret`, 'zapi');
    const { providerMessageId } = await zapiClient().sendText({ to: LEAD, text: 'eco' });
    const echo = await waitFor(() => received[0], { what: 'the Z-API echo' });
    expect(echo.url).toBe('/webhooks/whatsapp/zapi?token=s3cret');
    expect(echo.body).toMatchObject({
      type: 'ReceivedCallback',
      instanceId: FAKE_CREDENTIALS.zapi.instanceId,
      messageId: providerMessageId,
      phone: LEAD,
      fromMe: true,
      fromApi: true,
      text: { message: 'eco' },
    });
  });

  it('posts an Evolution messages.upsert with key.fromMe and custom headers', async () => {
    fake.echoTo(`${receiverUrl}/webhooks/whatsapp/evolution`, 'evolution', {
      headers: { authorization: 'Bearer s3cret' },
    });
    const { providerMessageId } = await evolutionClient().sendText({ to: LEAD, text: 'eco' });
    const echo = await waitFor(() => received[0], { what: 'the Evolution echo' });
    expect(echo.headers.authorization).toBe('Bearer s3cret');
    expect(echo.body).toMatchObject({
      event: 'messages.upsert',
      instance: FAKE_CREDENTIALS.evolution.instance,
      data: {
        key: { remoteJid: `${LEAD}@s.whatsapp.net`, fromMe: true, id: providerMessageId },
        message: { conversation: 'eco' },
      },
    });
  });

  it('echoes a send whose response was lost, since the provider did send it', async () => {
    fake.echoTo(`${receiverUrl}/hook`, 'zapi');
    fake.fail(1, { dropAfterAccept: true });
    await upstreamFailure(zapiClient().sendText({ to: LEAD, text: 'perdido' }));
    const echo = await waitFor(() => received[0], { what: 'the echo of the lost send' });
    expect(echo.body).toMatchObject({ messageId: fake.sends[0]?.providerMessageId, fromMe: true });
  });

  it('draws the same random faults for the same seed', async () => {
    const outcomes = async () => {
      fake.failRate(0.5, [{ status: 503 }]);
      const client = evolutionClient();
      const results: boolean[] = [];
      for (let i = 0; i < 12; i++) {
        results.push(
          await client.sendText({ to: LEAD, text: `n${i}` }).then(
            () => true,
            () => false,
          ),
        );
      }
      return results;
    };
    const first = await outcomes();
    fake.reset();
    expect(await outcomes()).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });
});

describe('http error mapping', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-10-14T12:00:00Z');
    expect(parseRetryAfterMs('120', now)).toBe(120_000);
    expect(parseRetryAfterMs('Tue, 14 Oct 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
  });

  it('retries 5xx, 408 and 429 but not other 4xx', () => {
    const retryable = (status: number) => upstreamErrorFromResponse('piperun', status, {}, 'x').retryable;
    expect([500, 503, 408, 429].map(retryable)).toEqual([true, true, true, true]);
    expect([400, 401, 404, 422].map(retryable)).toEqual([false, false, false, false]);
  });

  it('classifies transport failures and keeps the cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const wrapped = new TypeError('fetch failed', { cause: refused });
    expect(upstreamErrorFromTransport('chatwoot', wrapped)).toMatchObject({
      retryable: true,
      mayHaveSucceeded: false,
      cause: wrapped,
    });
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(upstreamErrorFromTransport('chatwoot', timeout)).toMatchObject({
      retryable: true,
      mayHaveSucceeded: true,
    });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(upstreamErrorFromTransport('chatwoot', reset).mayHaveSucceeded).toBe(true);
    const aborted = new DOMException('This operation was aborted', 'AbortError');
    expect(upstreamErrorFromTransport('chatwoot', aborted).retryable).toBe(false);
    expect(upstreamErrorFromTransport('chatwoot', new Error('bug')).retryable).toBe(false);
  });
});
