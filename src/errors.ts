/** The one error type the service raises on purpose; the error handler maps it to HTTP. */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'BODY_INVALID_JSON'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'ADMIN_DISABLED'
  | 'NOT_FOUND'
  | 'CONFLICT'
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

export const errors = {
  unauthorized: (what: string) => new AppError('UNAUTHORIZED', 401, what),
  adminDisabled: () =>
    new AppError(
      'ADMIN_DISABLED',
      403,
      'The admin API is disabled: set ADMIN_TOKEN (16+ characters) to enable it',
    ),
  notFound: (what: string) => new AppError('NOT_FOUND', 404, `${what} not found`),
  conflict: (what: string, cause?: unknown) => new AppError('CONFLICT', 409, what, { cause }),
  unavailable: (what: string, cause?: unknown) => new AppError('SERVICE_UNAVAILABLE', 503, what, { cause }),
};

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
