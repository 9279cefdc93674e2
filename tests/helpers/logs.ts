import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger.js';

export type LogLine = Record<string, unknown> & { level: string; msg?: string };

/** A real pino logger whose lines the test can read back. */
export function captureLogs(level = 'debug'): { log: Logger; lines: LogLine[]; text: () => string } {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      const line = String(chunk);
      raw.push(line);
      lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines, text: () => raw.join('') };
}
