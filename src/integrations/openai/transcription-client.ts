import OpenAI, { toFile } from 'openai';
import type { Transcription } from 'openai/resources/audio/transcriptions';
import CircuitBreaker from 'opossum';
import { UpstreamError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { isOurMistake, openAiError } from './errors.js';

/**
 * Voice notes to text through the official SDK's audio API (any OpenAI-compatible server via
 * OPENAI_BASE_URL), in Portuguese. As for chat (./chat-client.ts): the SDK owns timeouts and
 * retries; the breaker on top makes an outage fail fast, so a burst of voice notes does not each
 * wait out its retries. The audio and the transcript are personal data: neither is ever logged.
 */
export type TranscriptionSettings = {
  apiKey: string;
  baseUrl?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  breakerResetMs?: number;
};

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
  const sdk = new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseUrl,
    timeout: settings.timeoutMs,
    maxRetries: settings.maxRetries,
  });

  async function request({ bytes, mimeType, extension }: TranscriptionInput): Promise<Transcription> {
    return sdk.audio.transcriptions.create({
      file: await toFile(bytes, `nota.${extension}`, { type: mimeType }),
      model: settings.model,
      language: 'pt',
      prompt: TRANSCRIPTION_PROMPT,
      response_format: 'json',
    });
  }

  const breaker = new CircuitBreaker(request, {
    timeout: false,
    errorThresholdPercentage: 50,
    volumeThreshold: 3,
    resetTimeout: settings.breakerResetMs ?? 30_000,
    errorFilter: isOurMistake,
  });
  breaker.on('open', () =>
    log.error('transcription circuit opened: voice notes fail fast until it recovers'),
  );
  breaker.on('halfOpen', () => log.warn('transcription circuit half-open: trying the audio API again'));
  breaker.on('close', () => log.info('transcription circuit closed: voice notes are transcribed again'));

  async function transcribe(input: TranscriptionInput): Promise<{ text: string }> {
    const startedAt = performance.now();
    let transcription: Transcription;
    try {
      transcription = await breaker.fire(input);
    } catch (error) {
      // A rejection that is not an API error while the breaker is open was the breaker's own.
      const isOpen = breaker.opened && !(error instanceof OpenAI.APIError);
      metrics?.calls.inc({ outcome: isOpen ? 'circuit_open' : 'error' });
      if (isOpen) {
        throw new UpstreamError('openai', 'circuit open after repeated transcription failures', {
          retryable: true,
          cause: error,
        });
      }
      throw openAiError(error, {
        waitingFor: 'the transcription',
        modelVariable: 'OPENAI_TRANSCRIPTION_MODEL',
      });
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

  return { transcribe, isCircuitOpen: () => breaker.opened };
}
