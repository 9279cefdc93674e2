import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  type APIError,
  AuthenticationError,
  type ClientOptions,
  InternalServerError,
  RateLimitError,
  toFile,
} from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFakeOpenAI, DEFAULT_REPLY, type FakeOpenAI } from './fakes/openai.js';

const API_KEY = 'sk-test-fake';
const MODEL = 'gpt-4o-mini';
const TIMEOUT_MS = 2_000;
const SHORT_TIMEOUT_MS = 200;
const VOICE_NOTE = Buffer.from('OggS fake opus voice note bytes');

const SAVE_LEAD: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'save_lead',
    description: 'Saves what the lead told us.',
    parameters: {
      type: 'object',
      properties: { name: { type: 'string' }, city: { type: 'string' } },
      required: ['name'],
    },
  },
};

let fake: FakeOpenAI;
let baseURL: string;

beforeAll(async () => {
  fake = createFakeOpenAI({ apiKey: API_KEY, model: MODEL, seed: 7 });
  baseURL = (await fake.start()).baseUrl;
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

function client(overrides: Partial<ClientOptions> = {}): OpenAI {
  return new OpenAI({ apiKey: API_KEY, baseURL, maxRetries: 0, timeout: TIMEOUT_MS, ...overrides });
}

function ask(openai: OpenAI, messages: ChatCompletionMessageParam[], tools?: ChatCompletionTool[]) {
  return openai.chat.completions.create({ model: MODEL, messages, ...(tools ? { tools } : {}) });
}

const userSays = (content: string): ChatCompletionMessageParam[] => [{ role: 'user', content }];

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('fake OpenAI chat completions through the SDK', () => {
  it('answers a scripted text reply with usage estimated from characters', async () => {
    fake.script({ reply: 'Temos sim!' });
    const system = 'Você é um vendedor.';
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: system },
      { role: 'user', content: 'Vocês fazem caixas?' },
    ];

    const completion = await ask(client(), messages);

    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe(MODEL);
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'Temos sim!' });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const promptTokens = Math.ceil((system.length + 'Vocês fazem caixas?'.length) / 4);
    expect(completion.usage).toEqual({
      prompt_tokens: promptTokens,
      completion_tokens: Math.ceil('Temos sim!'.length / 4),
      total_tokens: promptTokens + Math.ceil('Temos sim!'.length / 4),
    });
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('falls back to the default reply when the script runs out', async () => {
    const completion = await ask(client(), userSays('Oi'));

    expect(completion.choices[0]?.message.content).toBe(DEFAULT_REPLY);
  });

  it('computes a reply from the request body', async () => {
    fake.script({
      respond: (request) => ({ reply: `eco: ${String(request.messages.at(-1)?.content)}` }),
    });

    const completion = await ask(client(), userSays('tem frete?'));

    expect(completion.choices[0]?.message.content).toBe('eco: tem frete?');
  });

  it('round-trips a tool call and records what the SDK sent', async () => {
    fake.script(
      { toolCalls: [{ name: 'save_lead', arguments: { name: 'Ana', city: 'Campinas' } }] },
      { reply: 'Anotado!' },
    );
    const openai = client();
    const messages = userSays('Sou a Ana, de Campinas');

    const first = await ask(openai, messages, [SAVE_LEAD]);
    const message = first.choices[0]?.message;
    const call = message?.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(message?.content).toBeNull();
    expect(call.function.name).toBe('save_lead');
    expect(JSON.parse(call.function.arguments)).toEqual({ name: 'Ana', city: 'Campinas' });

    const toolResult: ChatCompletionMessageParam = {
      role: 'tool',
      tool_call_id: call.id,
      content: '{"ok":true}',
    };
    const second = await ask(
      openai,
      [...messages, { role: 'assistant', content: null, tool_calls: [call] }, toolResult],
      [SAVE_LEAD],
    );

    expect(second.choices[0]?.message.content).toBe('Anotado!');
    const [sentFirst, sentSecond] = fake.chatRequests();
    expect(sentFirst?.tools).toEqual([SAVE_LEAD]);
    expect(sentSecond?.messages.at(-1)).toEqual(toolResult);
  });

  it('passes malformed tool arguments through untouched', async () => {
    fake.script({ toolCalls: [{ name: 'save_lead', arguments: '{"name": "Ana"' }] });

    const completion = await ask(client(), userSays('Ana'), [SAVE_LEAD]);

    const call = completion.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.function.arguments).toBe('{"name": "Ana"');
    expect(() => JSON.parse(call.function.arguments)).toThrow();
  });

  it('grows prompt_tokens with the size of the messages', async () => {
    const openai = client();
    const short = await ask(openai, userSays('Oi'));
    const long = await ask(openai, userSays('Oi, '.repeat(200)));
    const withTools = await ask(openai, userSays('Oi, '.repeat(200)), [SAVE_LEAD]);

    const tokens = [short, long, withTools].map((completion) => completion.usage?.prompt_tokens ?? 0);
    expect(tokens[0]).toBe(1);
    expect(tokens[1]).toBe(200);
    expect(tokens[2]).toBe(200 + Math.ceil(JSON.stringify([SAVE_LEAD]).length / 4));
  });
});

describe('fake OpenAI faults through the SDK', () => {
  it('throws InternalServerError on a scripted 500', async () => {
    fake.script({ status: 500 });

    const error = await failureOf(ask(client(), userSays('Oi')));

    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({ status: 500, type: 'server_error', code: null });
    expect((error as APIError).requestID).toMatch(/^req_/);
  });

  it('throws RateLimitError with the retry-after header on a scripted 429', async () => {
    fake.script({ status: 429, retryAfterSeconds: 7 });

    const error = await failureOf(ask(client(), userSays('Oi')));

    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect((error as RateLimitError).headers.get('retry-after')).toBe('7');
  });

  it('times the SDK out on an answer later than its timeout, then answers the next call', async () => {
    // biome-ignore lint/suspicious/noThenProperty: the fake's delay step names its answer `then`; a step, not a function, so no thenable.
    fake.script({ delayMs: 5_000, then: { reply: 'tarde demais' } }, { reply: 'na hora' });
    const openai = client({ timeout: SHORT_TIMEOUT_MS });

    const error = await failureOf(ask(openai, userSays('Oi')));
    const next = await ask(openai, userSays('Oi de novo'));

    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
    expect(next.choices[0]?.message.content).toBe('na hora');
  });

  it('lets the SDK retry recover after one 500', async () => {
    fake.script({ status: 500 }, { reply: 'recuperado' });

    const completion = await ask(client({ maxRetries: 2 }), userSays('Oi'));

    expect(completion.choices[0]?.message.content).toBe('recuperado');
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests.map((request) => request.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
  });

  it('rejects a wrong API key with AuthenticationError', async () => {
    const error = await failureOf(ask(client({ apiKey: 'sk-wrong' }), userSays('Oi')));

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ status: 401, type: 'invalid_request_error', code: 'invalid_api_key' });
  });

  it('answers a missing key and an unknown route in the OpenAI error shape', async () => {
    const missingKey = await fetch(`${baseURL}/chat/completions`, { method: 'POST', body: '{}' });
    const unknown = await fetch(`${baseURL}/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}` },
    });

    expect(missingKey.status).toBe(401);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: {
        message: 'Invalid URL (POST /v1/embeddings)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  it('injects the same random faults for the same seed', async () => {
    const openai = client();
    async function outcomes(): Promise<string[]> {
      fake.reset();
      fake.failRate(0.5, [{ status: 503 }, { status: 429 }]);
      const results: string[] = [];
      for (let i = 0; i < 12; i++) {
        const result = await ask(openai, userSays('Oi')).then(
          () => 'ok',
          (error: APIError) => String(error.status),
        );
        results.push(result);
      }
      return results;
    }

    const first = await outcomes();

    expect(first).toContain('ok');
    expect(first.some((result) => result !== 'ok')).toBe(true);
    expect(await outcomes()).toEqual(first);
  });

  it('cancels a pending delayed answer on stop', async () => {
    const own = createFakeOpenAI();
    const { baseUrl } = await own.start();
    own.script({ delayMs: 60_000 });
    const openai = new OpenAI({ apiKey: 'sk-test-fake', baseURL: baseUrl, maxRetries: 0, timeout: 30_000 });
    const pending = failureOf(ask(openai, userSays('Oi')));
    await expect.poll(() => own.requests.length, { timeout: TIMEOUT_MS }).toBe(1);

    await own.stop();

    expect(await pending).toBeInstanceOf(APIConnectionError);
  });
});

describe('fake OpenAI transcriptions and models through the SDK', () => {
  it('transcribes a voice note and records the multipart fields', async () => {
    fake.transcripts({ text: 'Quero duzentas caixas' });

    const transcription = await client().audio.transcriptions.create({
      file: await toFile(VOICE_NOTE, 'nota.ogg', { type: 'audio/ogg' }),
      model: 'whisper-1',
      language: 'pt',
    });

    expect(transcription.text).toBe('Quero duzentas caixas');
    expect(fake.transcriptionRequests()).toEqual([
      {
        model: 'whisper-1',
        language: 'pt',
        prompt: null,
        response_format: null,
        file: { filename: 'nota.ogg', byteLength: VOICE_NOTE.length, type: 'audio/ogg' },
      },
    ]);
  });

  it('answers plain text when the SDK asks for response_format text', async () => {
    const transcription = await client().audio.transcriptions.create({
      file: await toFile(VOICE_NOTE, 'nota.ogg', { type: 'audio/ogg' }),
      model: 'whisper-1',
      response_format: 'text',
    });

    expect(typeof transcription).toBe('string');
    expect(fake.transcriptionRequests()[0]?.response_format).toBe('text');
  });

  it('throws the scripted transcription error', async () => {
    fake.transcripts({ status: 503 });

    const error = await failureOf(
      client().audio.transcriptions.create({
        file: await toFile(VOICE_NOTE, 'nota.ogg'),
        model: 'whisper-1',
      }),
    );

    expect(error).toBeInstanceOf(InternalServerError);
  });

  it('lists the configured model', async () => {
    const page = await client().models.list();

    expect(page.data.map((model) => model.id)).toEqual([MODEL]);
  });
});
