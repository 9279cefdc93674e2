import type { IncomingMessage } from 'node:http';

/** What the fakes read from every request: method, path, query and the body (JSON, else text). */
export async function readRequest(req: IncomingMessage) {
  const url = new URL(req.url ?? '/', 'http://fake.invalid');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    body,
  };
}

/**
 * The fakes' fault injection: faults queued for the next calls, then faults drawn at a rate with
 * the fake's seeded dice, so a failing run fails the same way again.
 */
export function createFaults<F>(random: () => number) {
  const queue: F[] = [];
  let rate = { probability: 0, faults: [] as F[] };
  let injected = 0;
  function draw(): F | undefined {
    const queued = queue.shift();
    if (queued !== undefined) return queued;
    if (rate.faults.length === 0 || random() >= rate.probability) return undefined;
    return rate.faults[Math.floor(random() * rate.faults.length)];
  }
  return {
    next(): F | undefined {
      const fault = draw();
      if (fault !== undefined) injected += 1;
      return fault;
    },
    /** Faults handed out since the last reset: the denominator of a fault-matrix run. */
    injected: () => injected,
    fail(count: number, fault: F) {
      for (let i = 0; i < count; i++) queue.push(fault);
    },
    failRate(probability: number, faults: F[]) {
      rate = { probability, faults };
    },
    reset() {
      queue.length = 0;
      rate = { probability: 0, faults: [] };
      injected = 0;
    },
  };
}
