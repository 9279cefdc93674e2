import { createHash } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { metaStatus, signMeta } from '../factories.js';
import { closeServer, listenOnLoopback } from '../helpers/loopback-server.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { createFaults } from './fake-http.js';

/**
 * A fake of the three WhatsApp providers' HTTP APIs (shared/contracts/whatsapp.md §1.5, §1.7,
 * §2.1, §2.4, §3.1, §3.4) on 127.0.0.1, with fault injection for the failures clients must
 * survive: 5xx, 429 with Retry-After, slow answers, and answers lost after the send happened.
 *
 * URLs, relative to `start().url`: Meta's Graph API under `/meta/v21.0`, Z-API under `/zapi`,
 * Evolution under `/evolution`, plain media under `/storage/{id}` (`/storage/moved/{id}` answers
 * a redirect to it), Meta's media download under `/meta/lookaside/{id}` (Bearer required).
 */

export type FakeProvider = 'meta' | 'zapi' | 'evolution';

export const FAKE_CREDENTIALS = {
  meta: { accessToken: 'fake-meta-access-token', phoneNumberId: '109876543210987' },
  zapi: {
    instanceId: '3D1F6A9B2C4E8F7A1B2C3D4E5F6A7B8C',
    token: 'F1A2B3C4D5E6F7A8B9C0D1E2',
    clientToken: 'fake-zapi-client-token',
  },
  evolution: { apiKey: 'fake-evolution-api-key', instance: 'loja-centro' },
  connectedPhone: '5511933330000',
} as const;

export type SendFault =
  | { status: number; body?: unknown; retryAfterSeconds?: number }
  /** Answers late; the provider still does the work, so the send is recorded when it answers. */
  | { delayMs: number }
  /** Records the send, then destroys the socket without answering. */
  | { dropAfterAccept: true };

export type RecordedSend = {
  provider: FakeProvider;
  to: string;
  text: string;
  quotedId: string | null;
  /** Meta's biz_opaque_callback_data, returned in the message's receipts. */
  reference?: string | null;
  providerMessageId: string;
  at: Date;
};

export type RecordedRequest = { method: string; path: string; headers: IncomingHttpHeaders; body: unknown };

export type MediaRead = { id: string; bytesSent: number; isComplete: boolean; isClosedEarly: boolean };

export type EchoAttempt = {
  provider: FakeProvider;
  messageId: string;
  status: number | null;
  error: string | null;
};

export type MediaOptions = {
  /** Keep sending the blob's bytes over and over, up to `totalBytes`, until the client hangs up. */
  oversized?: { totalBytes?: number };
  /** A Content-Length header to declare (Meta's `file_size` too) instead of the real length. */
  declaredBytes?: number;
};

type Media = { bytes: Buffer; mimeType: string; options: MediaOptions };
type Echo = { url: string; headers: Record<string, string> };
type Send = {
  provider: FakeProvider;
  to: string;
  text: string;
  quotedId: string | null;
  reference?: string | null;
};
type Reply = { status: number; body: unknown; headers?: Record<string, string> };

const OVERSIZED_DEFAULT_BYTES = 256 * 1024 * 1024;
const STREAM_CHUNK_BYTES = 64 * 1024;

/** A JSON answer to write, or undefined when the handler already answered (stream, delay, drop). */
type Outcome = Reply | undefined;

function respond(res: ServerResponse, outcome: Outcome): void {
  if (!outcome || res.destroyed) return;
  res.writeHead(outcome.status, { 'content-type': 'application/json', ...outcome.headers });
  res.end(JSON.stringify(outcome.body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const field = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined),
    value,
  );
const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value : null;

/** Each provider's own error shape (§1.8, §2.1, §3.1). */
function providerError(provider: FakeProvider, status: number, message: string, code?: number): Reply {
  if (provider === 'meta') {
    const metaCode = code ?? (status === 429 ? 130429 : status >= 500 ? 1 : 100);
    return {
      status,
      body: { error: { message, type: 'OAuthException', code: metaCode, fbtrace_id: 'AbCdEfGh' } },
    };
  }
  if (provider === 'zapi') return { status, body: { error: message } };
  return { status, body: { status, error: STATUS_CODES[status], response: { message: [message] } } };
}

const ECHO_RETRIES = 5;
const ECHO_RETRY_MS = 1_000;

export function createFakeWhatsAppProvider({ seed = 42 }: { seed?: number } = {}) {
  let random = seededRandom(seed);
  let baseUrl = '';
  const sends: RecordedSend[] = [];
  const requests: RecordedRequest[] = [];
  const mediaReads: MediaRead[] = [];
  const echoes: EchoAttempt[] = [];
  const faults = createFaults<SendFault>(() => random());
  const media = new Map<string, Media>();
  const echoTargets = new Map<FakeProvider, Echo>();
  const unknownNumbers = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();

  const hex = (length: number) =>
    Array.from({ length }, () => Math.floor(random() * 16).toString(16))
      .join('')
      .toUpperCase();
  const newMessageId = (provider: FakeProvider) =>
    provider === 'meta' ? `wamid.HBgN${Buffer.from(hex(40), 'hex').toString('base64url')}` : `3EB0${hex(18)}`;

  const nextFault = faults.next;

  function acceptedReply(send: Send, id: string): Reply {
    if (send.provider === 'meta') {
      return {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          contacts: [{ input: send.to, wa_id: send.to }],
          messages: [{ id }],
        },
      };
    }
    if (send.provider === 'zapi') return { status: 200, body: { zaapId: hex(32), messageId: id, id } };
    return { status: 201, body: evolutionRecord(send, id) };
  }

  function evolutionRecord(send: Send, id: string) {
    return {
      key: { remoteJid: send.to.includes('@') ? send.to : `${send.to}@s.whatsapp.net`, fromMe: true, id },
      pushName: 'Você',
      status: 'PENDING',
      message: { conversation: send.text },
      ...(send.quotedId ? { contextInfo: { stanzaId: send.quotedId } } : {}),
      messageType: 'conversation',
      messageTimestamp: Math.floor(Date.now() / 1000),
      instanceId: '7f3c2a1e-5b4d-4c8e-9a6f-2d1b0c9e8a77',
      source: 'unknown',
    };
  }

  /**
   * §2.4 / §3.5: how Z-API and Evolution echo our own API sends back to the webhook. Meta does
   * not echo them; its `sent` receipt (§1.4) names the message and returns our reference.
   */
  function echoBody(send: Send, id: string, echo: Echo): unknown {
    if (send.provider === 'meta') {
      return metaStatus({ providerMessageId: id, status: 'sent', phone: send.to, reference: send.reference });
    }
    if (send.provider === 'zapi') {
      return {
        type: 'ReceivedCallback',
        instanceId: FAKE_CREDENTIALS.zapi.instanceId,
        messageId: id,
        phone: send.to,
        fromMe: true,
        fromApi: true,
        momment: Date.now(),
        status: 'SENT',
        isGroup: false,
        isNewsletter: false,
        broadcast: false,
        waitingMessage: false,
        connectedPhone: FAKE_CREDENTIALS.connectedPhone,
        senderName: 'Seleto Industrial',
        chatName: 'Lead',
        participantPhone: null,
        ...(send.quotedId ? { referenceMessageId: send.quotedId } : {}),
        text: { message: send.text },
      };
    }
    return {
      event: 'messages.upsert',
      instance: FAKE_CREDENTIALS.evolution.instance,
      data: evolutionRecord(send, id),
      destination: echo.url,
      date_time: new Date().toISOString(),
      sender: `${FAKE_CREDENTIALS.connectedPhone}@s.whatsapp.net`,
      server_url: `${baseUrl}/evolution`,
      apikey: null,
    };
  }

  function fireEcho(send: Send, id: string): void {
    const echo = echoTargets.get(send.provider);
    if (!echo) return;
    const attempt: EchoAttempt = { provider: send.provider, messageId: id, status: null, error: null };
    echoes.push(attempt);
    const body = JSON.stringify(echoBody(send, id, echo));
    const signature: Record<string, string> =
      send.provider === 'meta' ? { 'x-hub-signature-256': signMeta(body) } : {};
    // Webhook senders retry a receiver that is down (restarting): a few tries, a second apart.
    const deliver = (triesLeft: number) =>
      fetch(echo.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signature, ...echo.headers },
        body,
        signal: AbortSignal.timeout(5_000),
      }).then(
        (response) => {
          attempt.status = response.status;
          return response.arrayBuffer();
        },
        (error: unknown) => {
          attempt.error = String(error);
          if (triesLeft > 0) {
            const timer = setTimeout(() => {
              timers.delete(timer);
              void deliver(triesLeft - 1);
            }, ECHO_RETRY_MS);
            timers.add(timer);
          }
        },
      );
    void deliver(ECHO_RETRIES);
  }

  function accept(res: ServerResponse, send: Send, isDropped: boolean): Outcome {
    const id = newMessageId(send.provider);
    sends.push({ ...send, providerMessageId: id, at: new Date() });
    // The echo leaves after the answer (the caller writes it in this same tick), as on the real thing.
    setImmediate(() => fireEcho(send, id));
    if (!isDropped) return acceptedReply(send, id);
    res.socket?.destroy();
    return undefined;
  }

  function handleSend(res: ServerResponse, send: Send): Outcome {
    const number = send.to.replace(/@.*/, '');
    if (send.provider === 'evolution' && unknownNumbers.has(number)) {
      const message = [{ exists: false, jid: `${number}@s.whatsapp.net`, number }];
      return { status: 400, body: { status: 400, error: 'Bad Request', response: { message } } };
    }
    const fault = nextFault();
    if (!fault) return accept(res, send, false);
    if ('dropAfterAccept' in fault) return accept(res, send, true);
    if ('delayMs' in fault) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        respond(res, accept(res, send, false));
      }, fault.delayMs);
      timers.add(timer);
      return undefined;
    }
    const reply = providerError(send.provider, fault.status, STATUS_CODES[fault.status] ?? 'Error');
    const retryAfter = fault.retryAfterSeconds;
    return {
      status: fault.status,
      body: fault.body ?? reply.body,
      headers: retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
    };
  }

  /** Serves a blob; `envelope` wraps it as base64 in a JSON body (Evolution §3.4 (b)). */
  function streamMedia(
    res: ServerResponse,
    id: string,
    item: Media,
    envelope?: { prefix: string; suffix: string },
  ): Outcome {
    const read: MediaRead = { id, bytesSent: 0, isComplete: false, isClosedEarly: false };
    mediaReads.push(read);
    const oversized = item.options.oversized;
    const payload = envelope
      ? Buffer.from(`${envelope.prefix}${item.bytes.toString('base64')}${envelope.suffix}`)
      : item.bytes;
    const declared = item.options.declaredBytes ?? (oversized ? undefined : payload.length);
    res.writeHead(envelope ? 201 : 200, {
      'content-type': envelope ? 'application/json' : item.mimeType,
      ...(declared === undefined ? {} : { 'content-length': String(declared) }),
    });
    res.on('close', () => {
      read.isClosedEarly = !res.writableFinished;
    });
    res.on('finish', () => {
      read.isComplete = true;
    });
    if (!oversized) {
      read.bytesSent = payload.length;
      res.end(payload);
      return undefined;
    }
    // In a JSON envelope the endless part is base64 text, otherwise the blob's first byte.
    const chunk = Buffer.alloc(STREAM_CHUNK_BYTES, envelope ? 'A' : (item.bytes[0] ?? 0));
    const totalBytes = oversized.totalBytes ?? OVERSIZED_DEFAULT_BYTES;
    if (envelope) res.write(envelope.prefix);
    const pump = (): void => {
      while (read.bytesSent < totalBytes) {
        if (res.destroyed) return;
        read.bytesSent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end(envelope?.suffix);
    };
    pump();
    return undefined;
  }

  function serveMedia(provider: FakeProvider, res: ServerResponse, id: string | undefined): Outcome {
    const item = id ? media.get(id) : undefined;
    if (!id || !item) return providerError(provider, 404, 'media not found');
    return streamMedia(res, id, item);
  }

  function handleMeta(req: IncomingMessage, res: ServerResponse, segments: string[], body: unknown): Outcome {
    // §1.8: a bad token is 401 with Graph code 190, on the Graph API and on media downloads alike.
    if (req.headers.authorization !== `Bearer ${FAKE_CREDENTIALS.meta.accessToken}`) {
      return providerError('meta', 401, 'Invalid OAuth access token - Cannot parse access token', 190);
    }
    const [first, second, third] = segments;
    if (req.method === 'GET' && first === 'lookaside') return serveMedia('meta', res, second);
    if (req.method === 'POST' && third === 'messages') {
      if (second !== FAKE_CREDENTIALS.meta.phoneNumberId) {
        const message = `Unsupported post request. Object with ID '${second}' does not exist`;
        return providerError('meta', 400, message, 100);
      }
      const to = text(field(body, 'to'));
      const message = text(field(body, 'text', 'body'));
      const isText = field(body, 'messaging_product') === 'whatsapp' && field(body, 'type') === 'text';
      if (!isText || !to || !message) return providerError('meta', 400, '(#100) Invalid parameter', 100);
      return handleSend(res, {
        provider: 'meta',
        to,
        text: message,
        quotedId: text(field(body, 'context', 'message_id')),
        reference: text(field(body, 'biz_opaque_callback_data')),
      });
    }
    const item = second ? media.get(second) : undefined;
    if (req.method === 'GET' && second && !third) {
      if (!item) {
        const message = `Unsupported get request. Object with ID '${second}' does not exist`;
        return providerError('meta', 400, message, 100);
      }
      const declared = item.options.declaredBytes ?? (item.options.oversized ? undefined : item.bytes.length);
      const info = {
        messaging_product: 'whatsapp',
        url: `${baseUrl}/meta/lookaside/${encodeURIComponent(second)}?ext=${Date.now()}`,
        mime_type: item.mimeType,
        sha256: createHash('sha256').update(item.bytes).digest('hex'),
        ...(declared === undefined ? {} : { file_size: declared }),
        id: second,
      };
      return { status: 200, body: info };
    }
    return providerError('meta', 404, 'Unknown path components');
  }

  function handleZapi(req: IncomingMessage, res: ServerResponse, segments: string[], body: unknown): Outcome {
    const [instances, instanceId, tokenWord, token, action] = segments;
    if (
      req.method !== 'POST' ||
      instances !== 'instances' ||
      tokenWord !== 'token' ||
      action !== 'send-text'
    ) {
      return providerError('zapi', 404, 'Not Found');
    }
    const credentials = FAKE_CREDENTIALS.zapi;
    if (instanceId !== credentials.instanceId || token !== credentials.token) {
      return providerError('zapi', 401, 'Instance not found or invalid token');
    }
    // §2.1: a missing Client-Token is answered `{"error": "null not allowed"}`.
    const clientToken = req.headers['client-token'];
    if (clientToken === undefined) return providerError('zapi', 400, 'null not allowed');
    if (clientToken !== credentials.clientToken) {
      return providerError('zapi', 401, 'Client-Token not allowed');
    }
    if (!req.headers['content-type']?.startsWith('application/json')) {
      return providerError('zapi', 415, 'Unsupported Media Type');
    }
    const phone = text(field(body, 'phone'));
    const message = text(field(body, 'message'));
    if (!phone || !message) return providerError('zapi', 400, 'phone and message are required');
    return handleSend(res, {
      provider: 'zapi',
      to: phone,
      text: message,
      quotedId: text(field(body, 'messageId')),
    });
  }

  function handleEvolution(
    req: IncomingMessage,
    res: ServerResponse,
    segments: string[],
    body: unknown,
  ): Outcome {
    if (req.headers.apikey !== FAKE_CREDENTIALS.evolution.apiKey) {
      return {
        status: 401,
        body: { status: 401, error: 'Unauthorized', response: { message: 'Unauthorized' } },
      };
    }
    const [group, action, instance] = segments;
    if (instance !== FAKE_CREDENTIALS.evolution.instance) {
      return providerError('evolution', 404, `The "${instance}" instance does not exist`);
    }
    if (req.method === 'POST' && group === 'message' && action === 'sendText') {
      const number = text(field(body, 'number'));
      const message = text(field(body, 'text'));
      if (!number || !message) return providerError('evolution', 400, 'text is required');
      return handleSend(res, {
        provider: 'evolution',
        to: number,
        text: message,
        quotedId: text(field(body, 'quoted', 'key', 'id')),
      });
    }
    if (req.method === 'POST' && group === 'chat' && action === 'getBase64FromMediaMessage') {
      const id = text(field(body, 'message', 'key', 'id'));
      const item = id ? media.get(id) : undefined;
      if (!id || !item) return providerError('evolution', 400, 'Message not found');
      const record = {
        mediaType: item.mimeType.startsWith('audio/') ? 'audioMessage' : 'imageMessage',
        fileName: `${id}.bin`,
        size: { fileLength: String(item.bytes.length) },
        mimetype: item.mimeType,
      };
      const prefix = `${JSON.stringify(record).slice(0, -1)},"base64":"`;
      return streamMedia(res, id, item, { prefix, suffix: '","buffer":null}' });
    }
    return providerError('evolution', 404, 'Cannot find route');
  }

  function route(req: IncomingMessage, res: ServerResponse, path: string, body: unknown): Outcome {
    const [root, ...rest] = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (root === 'meta') return handleMeta(req, res, rest, body);
    if (root === 'zapi') return handleZapi(req, res, rest, body);
    if (root === 'evolution') return handleEvolution(req, res, rest, body);
    if (root === 'storage' && rest[0] === 'moved') {
      return {
        status: 302,
        body: null,
        headers: { location: `/storage/${encodeURIComponent(rest[1] ?? '')}` },
      };
    }
    if (root === 'storage') return serveMedia('zapi', res, rest[0]);
    return { status: 404, body: { error: 'no such route in the fake' } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const body = await readBody(req);
    const path = `${url.pathname}${url.search}`;
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
    respond(res, route(req, res, url.pathname, body));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else respond(res, { status: 500, body: { error: String(error) } });
    });
  });

  function reset(): void {
    random = seededRandom(seed);
    for (const list of [sends, requests, mediaReads, echoes]) list.length = 0;
    faults.reset();
    media.clear();
    echoTargets.clear();
    unknownNumbers.clear();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  }

  return {
    /** Accepted sends, in the order the fake accepted them. */
    sends,
    requests,
    mediaReads,
    echoes,
    async start() {
      baseUrl = `http://127.0.0.1:${await listenOnLoopback(server)}`;
      return {
        url: baseUrl,
        metaGraphUrl: `${baseUrl}/meta/v21.0`,
        zapiBaseUrl: `${baseUrl}/zapi`,
        evolutionBaseUrl: `${baseUrl}/evolution`,
      };
    },
    async stop() {
      reset();
      await closeServer(server);
    },
    reset,
    /** The next `count` send calls (after auth and validation pass) get `fault`. */
    fail(count: number, fault: SendFault) {
      faults.fail(count, fault);
    },
    /** Each send call gets one of `faults` with probability `probability` (seeded dice). */
    failRate(probability: number, list: SendFault[]) {
      faults.failRate(probability, list);
    },
    /** Faults injected by `fail` and `failRate` since the last reset. */
    faultsInjected: () => faults.injected(),
    /**
     * POST a fromMe echo of each accepted send to `url` (Z-API, Evolution); for Meta, which does
     * not echo (§0.4), its signed `sent` receipt.
     */
    echoTo(url: string, provider: FakeProvider, { headers = {} }: { headers?: Record<string, string> } = {}) {
      echoTargets.set(provider, { url, headers });
    },
    addMedia(id: string, bytes: Buffer, mimeType: string, options: MediaOptions = {}) {
      media.set(id, { bytes, mimeType, options });
    },
    /** Evolution answers sends to this number with its not-on-WhatsApp 400 (§3.1). */
    notOnWhatsApp(number: string) {
      unknownNumbers.add(number);
    },
    /** Plain storage URL (Z-API, Evolution S3), a redirect to it, or Meta's Bearer-only URL. */
    mediaUrl(kind: 'storage' | 'moved' | 'meta', id: string) {
      const path = { storage: 'storage', moved: 'storage/moved', meta: 'meta/lookaside' }[kind];
      return `${baseUrl}/${path}/${encodeURIComponent(id)}`;
    },
  };
}

export type FakeWhatsAppProvider = ReturnType<typeof createFakeWhatsAppProvider>;
