import OpenAI from 'openai';
import { UpstreamError } from '../../errors.js';

/** A bad request is ours to fix (too long a prompt, a bad tool schema, a bad file): not an outage. */
export function isOurMistake(error: unknown): boolean {
  return error instanceof OpenAI.APIError && (error.status === 400 || error.status === 422);
}

/**
 * The SDK's errors as our UpstreamError, after its own retries: which failures a later attempt
 * can fix, and which variable to check when the answer says it is ours.
 */
export function openAiError(
  error: unknown,
  { waitingFor, modelVariable }: { waitingFor: string; modelVariable: string },
): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new UpstreamError('openai', `timed out waiting for ${waitingFor}`, {
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    const hint =
      error.status === 401
        ? ' (check OPENAI_API_KEY)'
        : error.status === 404
          ? ` (check ${modelVariable})`
          : '';
    return new UpstreamError('openai', `HTTP ${error.status}: ${error.message}${hint}`, {
      retryable: error.status === 408 || error.status === 429 || error.status >= 500,
      upstreamStatus: error.status,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new UpstreamError('openai', `request failed: ${message}`, { retryable: true, cause: error });
}
