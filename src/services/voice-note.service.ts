import { createAgentEventRepo } from '../db/agent-event.repo.js';
import { createMessageRepo, type StoredMessage } from '../db/message.repo.js';
import type { Pool } from '../db/pool.js';
import { detectAudioFormat, estimateAudioSeconds } from '../domain/audio/format.js';
import { isUpstreamError } from '../errors.js';
import type { MediaRef, WhatsAppClient } from '../integrations/whatsapp/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * Turns a lead's voice notes into text before the agent reads them: download (size capped while
 * streaming), check the bytes are audio of an allowed kind and not too long, transcribe. Any
 * failure leaves a note the agent cannot read: the lead is asked, once, to write it instead, and
 * the rest of the conversation goes on.
 */
export const VOICE_NOTE_FALLBACK =
  'Desculpe, não consegui ouvir o seu áudio. Pode me escrever a mensagem em texto, por favor?';

export type Transcriber = {
  transcribe(input: { bytes: Buffer; mimeType: string; extension: string }): Promise<{ text: string }>;
};

export type VoiceNoteSettings = {
  maxBytes: number;
  maxSeconds: number;
  downloadTimeoutMs: number;
  retain: boolean;
};

type Deps = {
  pool: Pool;
  client: Pick<WhatsAppClient, 'fetchMedia'>;
  transcriber: Transcriber | undefined;
  settings: VoiceNoteSettings;
  metrics: Metrics;
  log: Logger;
};

export type VoiceNoteFailure =
  | 'not_configured'
  | 'download_failed'
  | 'too_large'
  | 'unsupported_type'
  | 'too_long'
  | 'transcription_failed';

class VoiceNoteError extends Error {
  constructor(
    readonly reason: VoiceNoteFailure,
    message: string,
  ) {
    super(message);
  }
}

const isTooLarge = (error: unknown) =>
  isUpstreamError(error) && typeof (error.details as { maxBytes?: unknown })?.maxBytes === 'number';

export const needsTranscript = (message: StoredMessage) =>
  message.kind === 'audio' && message.author === 'lead' && message.mediaStatus === null;

export function createVoiceNotes({ pool, client, transcriber, settings, metrics, log }: Deps) {
  async function download(media: MediaRef): Promise<Buffer> {
    try {
      const fetched = await client.fetchMedia(media, {
        maxBytes: settings.maxBytes,
        timeoutMs: settings.downloadTimeoutMs,
      });
      return fetched.bytes;
    } catch (error) {
      if (isTooLarge(error)) throw new VoiceNoteError('too_large', (error as Error).message);
      throw new VoiceNoteError('download_failed', (error as Error).message);
    }
  }

  async function read(message: StoredMessage): Promise<string> {
    if (!transcriber)
      throw new VoiceNoteError('not_configured', 'no OPENAI_API_KEY: voice notes cannot be transcribed');
    const bytes = await download(message.media as MediaRef);
    const format = detectAudioFormat(bytes);
    if (!format) throw new VoiceNoteError('unsupported_type', 'the bytes are not audio of an allowed type');
    const seconds = estimateAudioSeconds(bytes, format) ?? (message.media as MediaRef).seconds;
    if (seconds !== null && seconds > settings.maxSeconds) {
      throw new VoiceNoteError(
        'too_long',
        `${Math.round(seconds)} s, over the ${settings.maxSeconds} s limit`,
      );
    }
    let text: string;
    try {
      ({ text } = await transcriber.transcribe({
        bytes,
        mimeType: format.mimeType,
        extension: format.extension,
      }));
    } catch (error) {
      throw new VoiceNoteError('transcription_failed', (error as Error).message);
    }
    if (settings.retain) {
      await pool.query(
        `insert into audio_files (message_id, mime_type, seconds, bytes) values ($1, $2, $3, $4)
         on conflict (message_id) do nothing`,
        [message.id, format.mimeType, seconds, bytes],
      );
    }
    return text.trim();
  }

  async function fail(message: StoredMessage, error: unknown) {
    const reason = error instanceof VoiceNoteError ? error.reason : 'transcription_failed';
    const detail = (error as Error).message;
    await createMessageRepo(pool).recordMediaOutcome(message.id, {
      status: 'failed',
      error: `${reason}: ${detail}`,
    });
    await createAgentEventRepo(pool).record({
      conversationId: message.conversationId,
      type: 'voice_note_failed',
      actor: 'system',
      data: { messageId: message.id, reason, detail },
    });
    metrics.voiceNotes.inc({ outcome: reason });
    log.warn(
      { conversationId: message.conversationId, messageId: message.id, reason },
      'voice note not read: the lead is asked to write',
    );
  }

  /** Evolution can inline the audio (base64) in the webhook: the stored event must not keep it. */
  async function forgetInlineAudio(message: StoredMessage) {
    if (!message.providerMessageId) return;
    await pool.query(
      `update inbound_events set payload = (payload::jsonb #- '{media,base64}')::json
       where message_id = $1 and payload -> 'media' ->> 'base64' is not null`,
      [message.providerMessageId],
    );
  }

  /** Transcribes the notes not read yet; returns the ids of those that could not be read. */
  async function transcribe(messages: StoredMessage[]): Promise<Set<number>> {
    const unreadable = new Set<number>();
    for (const message of messages) {
      if (message.mediaStatus === 'failed') unreadable.add(message.id);
      if (!needsTranscript(message)) continue;
      try {
        const transcript = await read(message);
        await createMessageRepo(pool).recordMediaOutcome(message.id, { status: 'transcribed', transcript });
        message.transcript = transcript;
        message.mediaStatus = 'transcribed';
        metrics.voiceNotes.inc({ outcome: 'transcribed' });
      } catch (error) {
        await fail(message, error);
        message.mediaStatus = 'failed';
        unreadable.add(message.id);
      }
      await forgetInlineAudio(message);
    }
    return unreadable;
  }

  return { transcribe };
}

export type VoiceNotes = ReturnType<typeof createVoiceNotes>;
