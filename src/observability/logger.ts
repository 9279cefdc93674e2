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

function maskLogObject(obj: Record<string, unknown>): Record<string, unknown> {
  const masked = maskPiiDeep(obj) as Record<string, unknown>;
  for (const [key, mask] of Object.entries(PERSONAL_KEYS)) {
    const value = obj[key];
    if (typeof value === 'string' && value !== '') masked[key] = mask(value);
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
        const masked = args.map((arg) => (typeof arg === 'string' ? maskPii(arg) : arg));
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
      err: (error: Error) => {
        const serialized = pino.stdSerializers.err(error);
        serialized.message = maskPii(serialized.message ?? '');
        if (serialized.stack) serialized.stack = maskPii(serialized.stack);
        return serialized;
      },
    },
  };
}

export function createLogger({ level, destination }: LoggerSettings): Logger {
  const options = loggerOptions(level);
  return destination ? pino(options, destination) : pino(options);
}
