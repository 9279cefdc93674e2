/** The one error type the service raises on purpose; the error handler maps it to HTTP. */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'BODY_INVALID_JSON'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'SIGNATURE_INVALID'
  | 'PROVIDER_UNKNOWN'
  | 'PROVIDER_NOT_CONFIGURED'
  | 'ADMIN_DISABLED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'UPSTREAM_FAILED'
  | 'INTERNAL';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    options: { details?: unknown; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.details = options.details;
  }
}

/**
 * A failure of an outside system (WhatsApp provider, PipeRun, Chatwoot, OpenAI). `retryable`
 * says whether trying again can help: 5xx, 429 and timeouts yes; a 4xx validation error no.
 */
export class UpstreamError extends AppError {
  readonly system: string;
  readonly retryable: boolean;
  /** From a 429/503 `Retry-After`, when the upstream said how long to wait. */
  readonly retryAfterMs: number | undefined;
  readonly upstreamStatus: number | undefined;
  /**
   * The request went out but no answer came back (timeout, dropped connection): the upstream
   * may have done the work. A non-idempotent call (a WhatsApp send) must not be repeated blindly.
   */
  readonly mayHaveSucceeded: boolean;

  constructor(
    system: string,
    message: string,
    options: {
      retryable: boolean;
      retryAfterMs?: number;
      upstreamStatus?: number;
      mayHaveSucceeded?: boolean;
      details?: unknown;
      cause?: unknown;
    },
  ) {
    super('UPSTREAM_FAILED', 502, `${system}: ${message}`, {
      details: options.details,
      cause: options.cause,
    });
    this.name = 'UpstreamError';
    this.system = system;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.upstreamStatus = options.upstreamStatus;
    this.mayHaveSucceeded = options.mayHaveSucceeded ?? false;
  }
}

export const errors = {
  unauthorized: (what: string) => new AppError('UNAUTHORIZED', 401, what),
  signatureInvalid: (provider: string, what: string) =>
    new AppError('SIGNATURE_INVALID', 401, `${provider} webhook rejected: ${what}`),
  providerUnknown: (provider: string, known: readonly string[]) =>
    new AppError(
      'PROVIDER_UNKNOWN',
      404,
      `unknown WhatsApp provider "${provider}"; use one of ${known.join(', ')}`,
    ),
  providerNotConfigured: (provider: string, variable: string) =>
    new AppError(
      'PROVIDER_NOT_CONFIGURED',
      404,
      `the ${provider} webhook is not configured: set ${variable}`,
    ),
  badRequest: (what: string) => new AppError('BAD_REQUEST', 400, what),
  badRequestJson: () => new AppError('BODY_INVALID_JSON', 400, 'request body is not valid JSON'),
  adminDisabled: () =>
    new AppError(
      'ADMIN_DISABLED',
      403,
      'The admin API is disabled: set ADMIN_TOKEN (16+ characters) to enable it',
    ),
  notFound: (what: string) => new AppError('NOT_FOUND', 404, `${what} not found`),
  conflict: (what: string, cause?: unknown) => new AppError('CONFLICT', 409, what, { cause }),
  rateLimited: (perMinute: number, retryAfterSeconds: number) =>
    new AppError(
      'RATE_LIMITED',
      429,
      `too many requests from this client: at most ${perMinute} per minute here; retry in ${retryAfterSeconds} s`,
    ),
};

export function isUpstreamError(error: unknown): error is UpstreamError {
  return error instanceof UpstreamError;
}

/**
 * True for the fast failure of an open circuit breaker (metrics count it apart from real errors):
 * breakers mark it with `details: { circuit: 'open' }`.
 */
export function isCircuitOpenError(error: unknown): boolean {
  return isUpstreamError(error) && (error.details as { circuit?: unknown } | undefined)?.circuit === 'open';
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
