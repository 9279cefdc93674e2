import { Gauge, type LabelValues, type Registry } from 'prom-client';
import type { Logger } from './logger.js';

/**
 * A gauge whose values are read from a source (a database query) when Prometheus scrapes, so
 * nothing has to keep it up to date. A failed or slow read keeps the last values and logs: the
 * scrape itself still answers, with every other metric, while the database is away.
 */
export type ScrapedRow<L extends string> = { labels: Record<L, string>; value: number };
export type ScrapedSource<L extends string> = () => Promise<ScrapedRow<L>[]>;

// Well inside Prometheus's default 10 s scrape timeout; the pool would wait 10 s for a connection.
const READ_DEADLINE_MS = 2000;

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  // A read that loses the race may still fail later: that must not become an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

type Settings<L extends string> = {
  name: string;
  help: string;
  labelNames: readonly L[];
  registry: Registry;
};

export function createScrapedGauge<L extends string>({ name, help, labelNames, registry }: Settings<L>) {
  let source: { read: ScrapedSource<L>; log: Pick<Logger, 'warn'> } | undefined;
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      if (!source) return;
      try {
        const rows = await withDeadline(source.read(), READ_DEADLINE_MS);
        this.reset();
        for (const row of rows) this.set(row.labels as LabelValues<L>, row.value);
      } catch (err) {
        source.log.warn({ err, metric: name }, 'metric not refreshed at scrape: its last values are kept');
      }
    },
  });

  /** Where the values come from; until called, the gauge has no series. */
  function readFrom(read: ScrapedSource<L>, log: Pick<Logger, 'warn'>): void {
    source = { read, log };
  }

  return { readFrom };
}
