import { toFile } from 'openai';
import type { Transcription } from 'openai/resources/audio/transcriptions';
import { UpstreamError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { createOpenAiSdk, guardOpenAiCall, isCircuitOpenError, type OpenAiSettings } from './guarded-call.js';

/**
 * Voice notes to text through the official SDK's audio API (any OpenAI-compatible server via
 * OPENAI_BASE_URL), in Portuguese. As for chat (./chat-client.ts): the SDK owns timeouts and
 * retries; the breaker on top makes an outage fail fast, so a burst of voice notes does not each
 * wait out its retries. The audio and the transcript are personal data: neither is ever logged.
 */
export type TranscriptionSettings = OpenAiSettings;

export type TranscriptionOutcome = 'ok' | 'error' | 'circuit_open';
export type TranscriptionMetrics = { calls: { inc(labels: { outcome: TranscriptionOutcome }): void } };
export type TranscriptionInput = { bytes: Buffer; mimeType: string; extension: string };

export type TranscriptionClient = {
  transcribe(input: TranscriptionInput): Promise<{ text: string }>;
  isCircuitOpen(): boolean;
};

// Whisper-style models take the prompt as preceding context: the domain's words, spelled right,
// make "envasadora" less likely to come back as "em vasadora". Kept short: the limit is 224 tokens.
export const TRANSCRIPTION_PROMPT =
  'Conversa de WhatsApp sobre a compra de máquinas industriais: envasadora, rotuladora, ' +
  'tampadora, dosadora, esteira transportadora; produção por hora, orçamento, CNPJ, frete.';

export function createTranscriptionClient(
  settings: TranscriptionSettings,
  log: Logger,
  metrics?: TranscriptionMetrics,
): TranscriptionClient {
  const sdk = createOpenAiSdk(settings);

  async function request({ bytes, mimeType, extension }: TranscriptionInput): Promise<Transcription> {
    return sdk.audio.transcriptions.create({
      file: await toFile(bytes, `nota.${extension}`, { type: mimeType }),
      model: settings.model,
      language: 'pt',
      prompt: TRANSCRIPTION_PROMPT,
      response_format: 'json',
    });
  }

  const call = guardOpenAiCall(request, {
    resetMs: settings.breakerResetMs,
    log,
    lines: {
      open: 'transcription circuit opened: voice notes fail fast until it recovers',
      halfOpen: 'transcription circuit half-open: trying the audio API again',
      close: 'transcription circuit closed: voice notes are transcribed again',
    },
    openMessage: 'circuit open after repeated transcription failures',
    errors: { waitingFor: 'the transcription', modelVariable: 'OPENAI_TRANSCRIPTION_MODEL' },
  });

  async function transcribe(input: TranscriptionInput): Promise<{ text: string }> {
    const startedAt = performance.now();
    let transcription: Transcription;
    try {
      transcription = await call.fire(input);
    } catch (error) {
      metrics?.calls.inc({ outcome: isCircuitOpenError(error) ? 'circuit_open' : 'error' });
      throw error;
    }
    // An OpenAI-compatible server may answer without `text`: that is no transcript either.
    const text = typeof transcription.text === 'string' ? transcription.text.trim() : '';
    const durationMs = Math.round(performance.now() - startedAt);
    if (text === '') {
      metrics?.calls.inc({ outcome: 'error' });
      throw new UpstreamError('openai', 'empty transcript: nothing was heard in the audio', {
        retryable: false,
      });
    }
    metrics?.calls.inc({ outcome: 'ok' });
    log.debug({ bytes: input.bytes.length, durationMs, characters: text.length }, 'voice note transcribed');
    return { text };
  }

  return { transcribe, isCircuitOpen: call.isOpen };
}
