import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per app instance, so tests can build several apps in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const jobsProcessed = new Counter({
    name: 'jobs_processed_total',
    help: 'Queue jobs handled, by queue and outcome (completed, failed, dead_lettered)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: 'job_duration_seconds',
    help: 'Queue job handler duration by queue',
    labelNames: ['queue'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'dead_letters_total',
    help: 'Jobs that exhausted their retries and were recorded in dead_letters, by queue',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const ready = new Gauge({
    name: 'service_ready',
    help: '1 when the last readiness check passed, 0 otherwise',
    registers: [registry],
  });

  return { registry, httpRequestDuration, jobsProcessed, jobDuration, deadLetters, ready };
}

export type Metrics = ReturnType<typeof createMetrics>;
