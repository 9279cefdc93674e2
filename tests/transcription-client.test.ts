import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createTranscriptionClient,
  TRANSCRIPTION_PROMPT,
  type TranscriptionOutcome,
  type TranscriptionSettings,
} from '../src/integrations/openai/transcription-client.js';
import { createFakeOpenAI, type FakeOpenAI } from './fakes/openai.js';
import { oggOpusSample } from './helpers/audio-samples.js';
import { upstreamFailure } from './helpers/failure.js';
import { captureLogs } from './helpers/logs.js';

const API_KEY = 'sk-test-transcription';
const MODEL = 'whisper-1';
const VOICE_NOTE = { bytes: oggOpusSample(1), mimeType: 'audio/ogg', extension: 'ogg' };

let fake: FakeOpenAI;
let baseUrl: string;

beforeAll(async () => {
  fake = createFakeOpenAI({ apiKey: API_KEY, seed: 11 });
  ({ baseUrl } = await fake.start());
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

function setUp(overrides: Partial<TranscriptionSettings> = {}) {
  const logs = captureLogs();
  const outcomes: TranscriptionOutcome[] = [];
  const client = createTranscriptionClient(
    { apiKey: API_KEY, baseUrl, model: MODEL, timeoutMs: 2_000, maxRetries: 0, ...overrides },
    logs.log,
    { calls: { inc: ({ outcome }) => outcomes.push(outcome) } },
  );
  return { client, logs, outcomes };
}

describe('transcription client', () => {
  it('sends the note in Portuguese with the sales prompt and returns the text', async () => {
    fake.transcripts({ text: ' Preciso de uma envasadora para 500 frascos por hora. ' });
    const { client, logs, outcomes } = setUp();

    const result = await client.transcribe(VOICE_NOTE);

    expect(result).toEqual({ text: 'Preciso de uma envasadora para 500 frascos por hora.' });
    expect(fake.transcriptionRequests()).toEqual([
      {
        model: MODEL,
        language: 'pt',
        prompt: TRANSCRIPTION_PROMPT,
        response_format: 'json',
        file: { filename: 'nota.ogg', byteLength: VOICE_NOTE.bytes.length, type: 'audio/ogg' },
      },
    ]);
    expect(outcomes).toEqual(['ok']);
    expect(logs.text()).not.toContain('envasadora para 500');
  });

  it('names the file by the detected extension', async () => {
    const { client } = setUp();

    await client.transcribe({ bytes: Buffer.alloc(64), mimeType: 'audio/mpeg', extension: 'mp3' });

    expect(fake.transcriptionRequests()[0]?.file).toEqual({
      filename: 'nota.mp3',
      byteLength: 64,
      type: 'audio/mpeg',
    });
  });

  it('retries a server error through the SDK and then succeeds', async () => {
    fake.transcripts({ status: 500 }, { text: 'Qual o prazo de entrega?' });
    const { client, outcomes } = setUp({ maxRetries: 1 });

    const result = await client.transcribe(VOICE_NOTE);

    expect(result.text).toBe('Qual o prazo de entrega?');
    expect(fake.transcriptionRequests()).toHaveLength(2);
    expect(outcomes).toEqual(['ok']);
  });

  it('reports a timeout as a retryable upstream failure', async () => {
    fake.transcripts({ delayMs: 2_000 });
    const { client, outcomes } = setUp({ timeoutMs: 200 });

    const error = await upstreamFailure(client.transcribe(VOICE_NOTE));

    expect(error.system).toBe('openai');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/timed out/);
    expect(outcomes).toEqual(['error']);
  });

  it('reports a rejected key as not retryable, pointing at OPENAI_API_KEY', async () => {
    const { client } = setUp({ apiKey: 'sk-wrong' });

    const error = await upstreamFailure(client.transcribe(VOICE_NOTE));

    expect(error.retryable).toBe(false);
    expect(error.upstreamStatus).toBe(401);
    expect(error.message).toContain('OPENAI_API_KEY');
  });

  it('opens the circuit after repeated 503s and then fails fast without a request', async () => {
    fake.transcripts({ status: 503 }, { status: 503 }, { status: 503 });
    const { client, logs, outcomes } = setUp({ breakerResetMs: 60_000 });

    for (let i = 0; i < 3; i += 1)
      expect((await upstreamFailure(client.transcribe(VOICE_NOTE))).retryable).toBe(true);
    expect(client.isCircuitOpen()).toBe(true);
    const error = await upstreamFailure(client.transcribe(VOICE_NOTE));

    expect(error.message).toMatch(/circuit open/);
    expect(error.retryable).toBe(true);
    expect(fake.transcriptionRequests()).toHaveLength(3);
    expect(outcomes).toEqual(['error', 'error', 'error', 'circuit_open']);
    expect(logs.lines.some((line) => line.level === 'error' && /circuit opened/.test(line.msg ?? ''))).toBe(
      true,
    );
  });

  it('does not count files the server refuses (400) against the circuit', async () => {
    fake.transcripts({ status: 400 }, { status: 400 }, { status: 400 }, { status: 400 });
    const { client } = setUp();

    for (let i = 0; i < 4; i += 1)
      expect((await upstreamFailure(client.transcribe(VOICE_NOTE))).retryable).toBe(false);

    expect(client.isCircuitOpen()).toBe(false);
    expect((await client.transcribe(VOICE_NOTE)).text).not.toBe('');
  });

  it('treats a blank transcript as a failure that retrying will not fix', async () => {
    fake.transcripts({ text: '  \n ' });
    const { client, outcomes } = setUp();

    const error = await upstreamFailure(client.transcribe(VOICE_NOTE));

    expect(error.message).toMatch(/empty transcript/);
    expect(error.retryable).toBe(false);
    expect(outcomes).toEqual(['error']);
  });
});
