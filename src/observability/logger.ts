import { type Logger, type LoggerOptions, pino } from 'pino';
import { maskCnpj, maskEmail, maskPhone, maskPii, maskPiiDeep, maskUrlSecrets } from './pii.js';

export type { Logger } from 'pino';

// Secrets never reach a log line, wherever they appear in a logged object.
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-chatwoot-signature"]',
  'req.headers.apikey',
  'req.headers["client-token"]',
  'req.headers.api_access_token',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  'apiKey',
  'api_key',
  'password',
  'secret',
  'accessToken',
  '*.token',
  '*.apiKey',
  '*.api_key',
  '*.password',
  '*.secret',
  '*.accessToken',
  '*.connectionString',
];

// Whole values of these keys are personal data: masked even when they don't look like it.
const PERSONAL_KEYS: Record<string, (value: string) => string> = {
  phone: maskPhone,
  cnpj: maskCnpj,
  email: (value) => (value.includes('@') ? maskEmail(value) : '[personal]'),
  leadName: () => '[personal]',
  pushName: () => '[personal]',
};

/**
 * pino's error serializer copies an error's own properties as they are: pg's `detail` quotes
 * the offending row ("Key (cnpj)=(11222333000181) already exists."), SDK errors carry the
 * upstream body. Every string in it is masked, not only the message and the stack.
 */
function serializeError(error: Error): ReturnType<typeof pino.stdSerializers.err> {
  const serialized = pino.stdSerializers.err(error);
  for (const key of Object.keys(serialized)) {
    serialized[key] = maskPiiDeep(serialized[key]);
  }
  return serialized;
}

function maskLogObject(obj: Record<string, unknown>): Record<string, unknown> {
  const masked = maskPiiDeep(obj) as Record<string, unknown>;
  for (const [key, mask] of Object.entries(PERSONAL_KEYS)) {
    const value = obj[key];
    if (typeof value === 'string' && value !== '') masked[key] = mask(value);
  }
  // pino serializes errors under `err` only; one under another key would print its raw properties.
  for (const [key, value] of Object.entries(masked)) {
    if (key !== 'err' && value instanceof Error) masked[key] = serializeError(value);
  }
  return masked;
}

export type LoggerSettings = { level: string; destination?: pino.DestinationStream };

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'seleto-agent' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: {
      level: (label) => ({ level: label }),
      log: maskLogObject,
    },
    hooks: {
      // The message string is not seen by `formatters.log`; mask it here.
      logMethod(args, method) {
        // The first object is the merging object (masked by `formatters.log`); later ones fill
        // %o / %j placeholders and are printed as they are unless masked here.
        const masked = args.map((arg, index) =>
          typeof arg === 'string' ? maskPii(arg) : index > 0 ? maskPiiDeep(arg) : arg,
        );
        return method.apply(this, masked as Parameters<typeof method>);
      },
    },
    serializers: {
      req: (req: { method?: string; url?: string; id?: string; headers?: Record<string, unknown> }) => ({
        method: req.method,
        url: maskUrlSecrets(req.url ?? ''),
        userAgent: req.headers?.['user-agent'],
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      // Upstream error messages can quote what a lead typed: mask them like any other text.
      err: serializeError,
    },
  };
}

/**
 * A child's bindings (`log.child({ chatId })`) are written into every line it logs, yet pino
 * passes them through no formatter (`formatters.bindings` is for the root's pid and hostname
 * only). Children are created from their parent with Object.create, so replacing `child` on
 * the root masks the bindings of every descendant, Fastify's request loggers included.
 */
function maskChildBindings(root: Logger): Logger {
  const createChild = root.child;
  root.child = function child(this: Logger, bindings, options) {
    return createChild.call(this, maskLogObject(bindings), options);
  } as Logger['child'];
  return root;
}

export function createLogger({ level, destination }: LoggerSettings): Logger {
  const options = loggerOptions(level);
  return maskChildBindings(destination ? pino(options, destination) : pino(options));
}
