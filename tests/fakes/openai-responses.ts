import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from 'openai/resources/chat/completions';

/**
 * The wire side of the fake OpenAI server (./openai.ts): step types, request parsing, answer
 * bodies and the token estimate.
 * Bodies follow the Chat Completions and Audio Transcriptions references
 * (https://platform.openai.com/docs/api-reference); `ChatCompletion` from the SDK checks the shape.
 */

/** A chat body as the SDK sends it; the fake checks only `model` and `messages`. */
export type ChatRequest = ChatCompletionCreateParamsNonStreaming;

/** An error in OpenAI's shape; `retryAfterSeconds` adds a `retry-after` header. */
export type ErrorStep = { status: number; message?: string; retryAfterSeconds?: number };

/** `arguments` objects are JSON-stringified; a string goes out as-is, so it can be malformed JSON. */
export type ToolCallScript = { name: string; arguments: unknown };

export type Step =
  | { reply: string }
  | { toolCalls: ToolCallScript[] }
  | ErrorStep
  /** Answers after `delayMs` with `then`, or with the default responder. */
  | { delayMs: number; then?: Step }
  | { respond: (request: ChatRequest) => Step };

export type TranscriptStep = { text: string } | ErrorStep | { delayMs: number; then?: TranscriptStep };

/** A random fault: an error, or a late answer that then goes on as usual. */
export type Fault = ErrorStep | { delayMs: number };

/** What the fake records of a multipart transcription request. */
export type TranscriptionRequest = {
  model: string | null;
  language: string | null;
  prompt: string | null;
  response_format: string | null;
  file: { filename: string; byteLength: number; type: string } | null;
};

export type Reply = { status: number; body: unknown; headers?: Record<string, string> };

export type ToolCallReply = { id: string; name: string; arguments: string };

// The token counts are an approximation, not a tokenizer: ~4 characters per token is OpenAI's
// rule of thumb for English text. Deterministic, so benchmarks can compare context sizes.
const CHARS_PER_TOKEN = 4;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

const textLength = (value: unknown): number => (typeof value === 'string' ? value.length : 0);

/** String content, or the text (and refusal) parts of array content. */
function contentChars(content: unknown): number {
  if (!Array.isArray(content)) return textLength(content);
  return content.reduce<number>(
    (sum, part) => sum + (isRecord(part) ? textLength(part.text) + textLength(part.refusal) : 0),
    0,
  );
}

/** An assistant turn's tool calls are context too: their names and argument strings count. */
function toolCallChars(toolCalls: unknown): number {
  if (!Array.isArray(toolCalls)) return 0;
  return toolCalls.reduce<number>((sum, call) => {
    const fn = isRecord(call) && isRecord(call.function) ? call.function : {};
    return sum + textLength(fn.name) + textLength(fn.arguments);
  }, 0);
}

/**
 * ceil((characters of every message's content and tool calls + JSON length of `tools`) / 4).
 * Role names, message overhead and images are left out.
 */
export function estimatePromptTokens(request: ChatRequest): number {
  const messageChars = request.messages.reduce<number>((sum, message) => {
    const calls = 'tool_calls' in message ? message.tool_calls : undefined;
    return sum + contentChars(message.content) + toolCallChars(calls);
  }, 0);
  const toolChars = request.tools ? JSON.stringify(request.tools).length : 0;
  return Math.ceil((messageChars + toolChars) / CHARS_PER_TOKEN);
}

export function isChatRequest(body: unknown): body is ChatRequest {
  return isRecord(body) && Array.isArray(body.messages) && typeof body.model === 'string';
}

export const toArguments = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value ?? {});

export function chatCompletion({
  id,
  request,
  content,
  toolCalls = [],
}: {
  id: string;
  request: ChatRequest;
  content: string | null;
  toolCalls?: ToolCallReply[];
}): ChatCompletion {
  const hasToolCalls = toolCalls.length > 0;
  const completionChars =
    textLength(content) + toolCalls.reduce((sum, call) => sum + call.name.length + call.arguments.length, 0);
  const promptTokens = estimatePromptTokens(request);
  const completionTokens = Math.ceil(completionChars / CHARS_PER_TOKEN);
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: null,
          annotations: [],
          ...(hasToolCalls
            ? {
                tool_calls: toolCalls.map((call) => ({
                  id: call.id,
                  type: 'function' as const,
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
            : {}),
        },
        logprobs: null,
        finish_reason: hasToolCalls ? 'tool_calls' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';

/**
 * `{ error: { message, type, param, code } }`. A 401 is `invalid_request_error` / `invalid_api_key`;
 * a 429 is type `requests`, code `rate_limit_exceeded` (the API's request-rate limit); 5xx is
 * `server_error`; other statuses are `invalid_request_error`.
 */
export function openAIError({
  status,
  message,
  retryAfterSeconds,
  param = null,
}: ErrorStep & { param?: string | null }): Reply {
  const kind =
    status === 401
      ? { type: 'invalid_request_error', code: 'invalid_api_key', text: 'Incorrect API key provided.' }
      : status === 429
        ? { type: 'requests', code: 'rate_limit_exceeded', text: 'Rate limit reached for requests.' }
        : status >= 500
          ? { type: 'server_error', code: null, text: SERVER_ERROR_MESSAGE }
          : { type: 'invalid_request_error', code: null, text: STATUS_CODES[status] ?? 'Error' };
  return {
    status,
    body: { error: { message: message ?? kind.text, type: kind.type, param, code: kind.code } },
    headers: retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
  };
}

const nullableField = (form: FormData, name: string): string | null => {
  const value = form.get(name);
  return typeof value === 'string' ? value : null;
};

/** Parses the SDK's multipart body with undici's own parser; undefined when it is not multipart. */
export async function parseTranscriptionForm(
  raw: Buffer,
  contentType: string,
): Promise<TranscriptionRequest | undefined> {
  if (!contentType.startsWith('multipart/form-data')) return undefined;
  try {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const file = form.get('file');
    return {
      model: nullableField(form, 'model'),
      language: nullableField(form, 'language'),
      prompt: nullableField(form, 'prompt'),
      response_format: nullableField(form, 'response_format'),
      file:
        file instanceof Blob
          ? {
              filename: 'name' in file && typeof file.name === 'string' ? file.name : '',
              byteLength: file.size,
              type: file.type,
            }
          : null,
    };
  } catch {
    return undefined;
  }
}

/** `text`, `srt` and `vtt` answer plain text; `json` (the default) and the rest answer `{ text }`. */
export function transcriptionBody(request: TranscriptionRequest, text: string): unknown {
  const format = request.response_format ?? 'json';
  return ['text', 'srt', 'vtt'].includes(format) ? text : { text };
}

/** A parsed body: multipart transcription fields, or JSON (raw text when it does not parse). */
export type Parsed = { form: TranscriptionRequest } | { json: unknown };

export async function readBody(req: IncomingMessage): Promise<Parsed> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const form = await parseTranscriptionForm(raw, req.headers['content-type'] ?? '');
  if (form) return { form };
  const text = raw.toString('utf8');
  if (text === '') return { json: undefined };
  try {
    return { json: JSON.parse(text) };
  } catch {
    return { json: text };
  }
}
