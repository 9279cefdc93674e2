import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { type ErrorCode, isAppError } from '../errors.js';

type ErrorBody = { code: ErrorCode; message: string; requestId: string; details?: unknown };

// Fastify's own client errors, translated into messages that say what to fix.
const FASTIFY_CLIENT_ERRORS: Record<string, { code: ErrorCode; message: (e: FastifyError) => string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'BODY_INVALID_JSON',
    message: () => 'request body is not valid JSON',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'BODY_INVALID_JSON',
    message: () => 'request body is empty but content-type is application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'BODY_TOO_LARGE',
    message: () => 'request body is larger than this endpoint accepts',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: (e) => `unsupported content-type: ${e.message.replace(/^Unsupported Media Type:?\s*/i, '')}`,
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'BAD_REQUEST',
    message: () => 'content-length does not match the body received',
  },
};

function clientErrorBody(error: FastifyError): Omit<ErrorBody, 'requestId'> {
  const known = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
  if (known) return { code: known.code, message: known.message(error) };
  // Body parser errors from JSON.parse arrive as SyntaxError with statusCode 400.
  if (error instanceof SyntaxError)
    return { code: 'BODY_INVALID_JSON', message: 'request body is not valid JSON' };
  if (error.validation)
    return { code: 'VALIDATION_FAILED', message: error.message, details: error.validation };
  return { code: 'BAD_REQUEST', message: error.message };
}

type Hooks = {
  /** Told of every request refused as the client's fault (4xx), e.g. to count rejected webhooks. */
  onClientError?: (request: FastifyRequest, status: number) => void;
};

/** The one place where errors become HTTP responses. Bad input is a 4xx, never a 500. */
export function installErrorHandler(app: FastifyInstance, { onClientError }: Hooks = {}): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const requestId = request.id;
    const status = isAppError(error)
      ? error.status
      : error instanceof ZodError
        ? 400
        : (error.statusCode ?? 500);
    if (status >= 400 && status < 500) onClientError?.(request, status);
    if (isAppError(error)) {
      // A client's mistake is one warning line; a stack trace only where we failed.
      if (error.status >= 500) request.log.error({ err: error, code: error.code }, error.message);
      else request.log.warn({ code: error.code }, error.message);
      const body: ErrorBody = { code: error.code, message: error.message, requestId };
      if (error.details !== undefined) body.details = error.details;
      return reply.status(error.status).send(body);
    }
    if (error instanceof ZodError) {
      const details = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const message = `invalid request: ${details.map((d) => `${d.path || '(body)'} ${d.message}`).join('; ')}`;
      request.log.warn({ details }, message);
      return reply.status(400).send({ code: 'VALIDATION_FAILED', message, details, requestId });
    }
    if (status >= 400 && status < 500) {
      const body = clientErrorBody(error);
      request.log.warn({ code: body.code, fastifyCode: error.code }, body.message);
      return reply.status(status).send({ ...body, requestId });
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .status(500)
      .send({ code: 'INTERNAL', message: 'internal error; search the logs for this requestId', requestId });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      code: 'NOT_FOUND',
      message: `no route for ${request.method} ${request.url.split('?')[0]}`,
      requestId: request.id,
    });
  });
}
