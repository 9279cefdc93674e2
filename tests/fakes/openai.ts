import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  type ChatRequest,
  chatCompletion,
  type Fault,
  isChatRequest,
  openAIError,
  type Parsed,
  type Reply,
  readBody,
  type Step,
  type TranscriptionRequest,
  type TranscriptStep,
  toArguments,
  transcriptionBody,
} from './openai-responses.js';

export type {
  ChatRequest,
  ErrorStep,
  Fault,
  Step,
  ToolCallScript,
  TranscriptionRequest,
  TranscriptStep,
} from './openai-responses.js';

import { closeServer, listenOnLoopback } from '../helpers/loopback-server.js';
import { seededRandom } from '../helpers/seeded-random.js';

export { estimatePromptTokens } from './openai-responses.js';

/**
 * A scripted fake of OpenAI's HTTP API on 127.0.0.1 for tests and benchmarks, driven through the
 * real `openai` SDK (`baseURL: (await fake.start()).baseUrl`). Serves non-streaming
 * `POST /v1/chat/completions`, multipart `POST /v1/audio/transcriptions` and `GET /v1/models`.
 *
 * Each chat request takes the next scripted step (`script`), else `defaultReply`; each
 * transcription the next `transcripts` step, else `defaultTranscript`. `failRate` faults roll
 * before the queue and do not consume a step, so an SDK retry gets the step the failure skipped.
 * Usage counts are a deterministic ~4-characters-per-token estimate (see `estimatePromptTokens`).
 */

export type FakeOpenAIOptions = {
  apiKey?: string;
  /** The model `GET /v1/models` lists; chat answers echo the request's model. */
  model?: string;
  seed?: number;
  defaultReply?: (request: ChatRequest) => Step;
  defaultTranscript?: string;
};

export type RecordedRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, the recorded fields of a multipart body, or the raw text when neither parses. */
  body: unknown;
  at: Date;
};

export const DEFAULT_REPLY = 'Olá! Como posso ajudar?';
export const DEFAULT_TRANSCRIPT = 'Olá, gostaria de um orçamento.';

const CHAT_PATH = '/v1/chat/completions';
const TRANSCRIPTION_PATH = '/v1/audio/transcriptions';
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// A fixed date keeps `GET /v1/models` stable across runs.
const MODEL_CREATED_S = 1_721_172_741;

/** Which requests a fault rate applies to: one OpenAI server answers both in production too. */
export type FaultTarget = 'chat' | 'transcription';

/** An answer to write, or undefined when a delayed answer is pending. */
type Outcome = Reply | undefined;

export function createFakeOpenAI({
  apiKey = 'sk-test-fake',
  model = 'gpt-4o-mini',
  seed = 42,
  defaultReply = () => ({ reply: DEFAULT_REPLY }),
  defaultTranscript = DEFAULT_TRANSCRIPT,
}: FakeOpenAIOptions = {}) {
  let random = seededRandom(seed);
  const requests: RecordedRequest[] = [];
  const transcriptions: TranscriptionRequest[] = [];
  const chatQueue: Step[] = [];
  const transcriptQueue: TranscriptStep[] = [];
  let faultRate = { probability: 0, faults: [] as Fault[], only: undefined as FaultTarget | undefined };
  let faultsInjected = 0;
  /** Delayed answers not yet written, so reset and stop can cancel them. */
  const pending = new Map<NodeJS.Timeout, ServerResponse>();

  const newId = (prefix: string, length: number) =>
    prefix + Array.from({ length }, () => ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length)]).join('');

  function respond(res: ServerResponse, outcome: Outcome): void {
    if (!outcome || res.destroyed) return;
    const isText = typeof outcome.body === 'string';
    res.writeHead(outcome.status, {
      'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
      'x-request-id': newId('req_', 32),
      ...outcome.headers,
    });
    res.end(isText ? outcome.body : JSON.stringify(outcome.body));
  }

  /** A throwing `respond` script answers 500 from a timer too, instead of crashing the worker. */
  function answerSafely(answer: () => Outcome): Outcome {
    try {
      return answer();
    } catch (error) {
      return openAIError({ status: 500, message: String(error) });
    }
  }

  /** Answers after `delayMs`; a client that hangs up first (an SDK timeout) cancels the answer. */
  function later(res: ServerResponse, delayMs: number, answer: () => Outcome): Outcome {
    const timer = setTimeout(() => {
      pending.delete(timer);
      respond(res, answerSafely(answer));
    }, delayMs);
    pending.set(timer, res);
    res.once('close', () => {
      clearTimeout(timer);
      pending.delete(timer);
    });
    return undefined;
  }

  function rollFault(target: FaultTarget): Fault | undefined {
    if (faultRate.only !== undefined && faultRate.only !== target) return undefined;
    if (faultRate.faults.length === 0 || random() >= faultRate.probability) return undefined;
    faultsInjected += 1;
    return faultRate.faults[Math.floor(random() * faultRate.faults.length)];
  }

  function answerChat(res: ServerResponse, request: ChatRequest, step: Step): Outcome {
    if ('respond' in step) return answerChat(res, request, step.respond(request));
    if ('delayMs' in step) {
      return later(res, step.delayMs, () => answerChat(res, request, step.then ?? defaultReply(request)));
    }
    if ('status' in step) return openAIError(step);
    if ('reply' in step) {
      return {
        status: 200,
        body: chatCompletion({ id: newId('chatcmpl-', 29), request, content: step.reply }),
      };
    }
    const toolCalls = step.toolCalls.map((call) => ({
      id: newId('call_', 24),
      name: call.name,
      arguments: toArguments(call.arguments),
    }));
    return {
      status: 200,
      body: chatCompletion({ id: newId('chatcmpl-', 29), request, content: null, toolCalls }),
    };
  }

  function answerTranscript(
    res: ServerResponse,
    request: TranscriptionRequest,
    step: TranscriptStep,
  ): Outcome {
    if ('delayMs' in step) {
      const then = step.then ?? { text: defaultTranscript };
      return later(res, step.delayMs, () => answerTranscript(res, request, then));
    }
    if ('status' in step) return openAIError(step);
    return { status: 200, body: transcriptionBody(request, step.text) };
  }

  /** Rolls the fault dice, then runs `proceed`; a delay fault runs it late, when it answers. */
  function withFaults(res: ServerResponse, target: FaultTarget, proceed: () => Outcome): Outcome {
    const fault = rollFault(target);
    if (!fault) return proceed();
    if ('delayMs' in fault) return later(res, fault.delayMs, proceed);
    return openAIError(fault);
  }

  function handleChat(res: ServerResponse, body: unknown): Outcome {
    if (!isChatRequest(body)) {
      const message = "Missing required parameters: 'model' and 'messages'.";
      return openAIError({ status: 400, message, param: 'messages' });
    }
    if ((body as { stream?: unknown }).stream === true) {
      return openAIError({ status: 400, message: 'This fake does not stream.', param: 'stream' });
    }
    return withFaults(res, 'chat', () => answerChat(res, body, chatQueue.shift() ?? defaultReply(body)));
  }

  function handleTranscription(res: ServerResponse, parsed: Parsed): Outcome {
    if (!('form' in parsed) || !parsed.form.file) {
      return openAIError({ status: 400, message: "Missing required parameter: 'file'.", param: 'file' });
    }
    const request = parsed.form;
    transcriptions.push(request);
    return withFaults(res, 'transcription', () =>
      answerTranscript(res, request, transcriptQueue.shift() ?? { text: defaultTranscript }),
    );
  }

  function route(req: IncomingMessage, res: ServerResponse, path: string, parsed: Parsed): Outcome {
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return openAIError({
        status: 401,
        message:
          'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
      });
    }
    const key = `${req.method} ${path}`;
    if (key === `POST ${CHAT_PATH}`) return handleChat(res, 'json' in parsed ? parsed.json : parsed.form);
    if (key === `POST ${TRANSCRIPTION_PATH}`) return handleTranscription(res, parsed);
    if (key === 'GET /v1/models') {
      const data = [{ id: model, object: 'model', created: MODEL_CREATED_S, owned_by: 'system' }];
      return { status: 200, body: { object: 'list', data } };
    }
    return openAIError({ status: 404, message: `Invalid URL (${key})` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake.invalid').pathname;
    const parsed = await readBody(req);
    const body = 'form' in parsed ? parsed.form : parsed.json;
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body, at: new Date() });
    respond(res, route(req, res, path, parsed));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else respond(res, openAIError({ status: 500, message: String(error) }));
    });
  });

  function reset(): void {
    random = seededRandom(seed);
    for (const list of [requests, transcriptions, chatQueue, transcriptQueue]) list.length = 0;
    faultRate = { probability: 0, faults: [], only: undefined };
    faultsInjected = 0;
    for (const [timer, res] of pending) {
      clearTimeout(timer);
      res.destroy();
    }
    pending.clear();
  }

  return {
    /** Every request, in arrival order, including rejected ones. */
    requests,
    async start() {
      return { baseUrl: `http://127.0.0.1:${await listenOnLoopback(server)}/v1` };
    },
    async stop() {
      reset();
      await closeServer(server);
    },
    reset,
    /** Appends chat steps; each chat completion request takes the next one. */
    script(...steps: Step[]) {
      chatQueue.push(...steps);
    },
    /** Appends transcription steps; each transcription request takes the next one. */
    transcripts(...steps: TranscriptStep[]) {
      transcriptQueue.push(...steps);
    },
    /**
     * Each chat or transcription request (only the `only` kind, when given) gets one of `faults`
     * with `probability` (seeded dice).
     */
    failRate(probability: number, faults: Fault[], { only }: { only?: FaultTarget } = {}) {
      faultRate = { probability, faults, only };
    },
    /** Faults rolled since the last reset. */
    faultsInjected: () => faultsInjected,
    /** Parsed chat bodies in arrival order, rejected and faulted attempts included (an SDK retry counts). */
    chatRequests(): ChatRequest[] {
      return requests
        .filter((r) => r.path === CHAT_PATH && isChatRequest(r.body))
        .map((r) => r.body as ChatRequest);
    },
    /** The recorded fields of the transcription requests that carried a file, in arrival order. */
    transcriptionRequests(): TranscriptionRequest[] {
      return [...transcriptions];
    },
    /** Chat and transcription steps still queued. */
    pendingSteps() {
      return { chat: chatQueue.length, transcripts: transcriptQueue.length };
    },
  };
}

export type FakeOpenAI = ReturnType<typeof createFakeOpenAI>;
