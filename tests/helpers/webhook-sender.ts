import { Agent, request } from 'undici';

/**
 * Delivers webhooks the way a provider does: a delivery the receiver did not acknowledge
 * (connection refused while it restarts, a reset socket, 5xx, 429) is sent again with backoff
 * until it gets a 2xx or its deadline passes. Meta retries for up to 7 days, Z-API and Evolution
 * for minutes; here the deadline is the test's. Each attempt goes to the next target in turn,
 * like a round-robin load balancer in front of several instances.
 */
export type Delivery = {
  /** The provider's message id: what "accepted once" is counted by. */
  messageId: string;
  path: string;
  body: string;
  headers?: Record<string, string>;
};

export type SenderOptions = {
  /** Base URLs (http://127.0.0.1:port), read on every attempt: a restarted instance may move. */
  targets: () => string[];
  deadlineMs?: number;
  timeoutMs?: number;
  firstRetryMs?: number;
  maxRetryMs?: number;
};

export type DeliveryResult = { status: number | null; attempts: number; error?: string };

const RETRYABLE_STATUS = (status: number) => status >= 500 || status === 429 || status === 408;

export function createWebhookSender({
  targets,
  deadlineMs = 60_000,
  timeoutMs = 10_000,
  firstRetryMs = 100,
  maxRetryMs = 1_000,
}: SenderOptions) {
  // Its own connection pool: sockets to a killed instance must not linger in the global one.
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 2_000 });
  let turn = 0;
  const stats = {
    deliveries: 0,
    attempts: 0,
    /** Attempts that were not acknowledged and were tried again. */
    retries: 0,
    /** Every message id that got a 2xx at least once. */
    accepted: new Set<string>(),
    /** Deliveries that never got a 2xx, with the last reason. */
    failed: [] as { messageId: string; reason: string }[],
  };

  async function attempt(delivery: Delivery): Promise<{ status: number } | { error: string }> {
    const list = targets();
    const base = list[turn++ % list.length];
    if (!base) return { error: 'no target' };
    try {
      const response = await request(`${base}${delivery.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...delivery.headers },
        body: delivery.body,
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher,
      });
      await response.body.dump();
      return { status: response.statusCode };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  async function deliver(delivery: Delivery): Promise<DeliveryResult> {
    stats.deliveries++;
    const deadline = Date.now() + deadlineMs;
    let waitMs = firstRetryMs;
    for (let attempts = 1; ; attempts++) {
      stats.attempts++;
      const outcome = await attempt(delivery);
      if ('status' in outcome && outcome.status >= 200 && outcome.status < 300) {
        stats.accepted.add(delivery.messageId);
        return { status: outcome.status, attempts };
      }
      const reason = 'status' in outcome ? `HTTP ${outcome.status}` : outcome.error;
      const isRetryable = 'error' in outcome || RETRYABLE_STATUS(outcome.status);
      if (!isRetryable || Date.now() + waitMs > deadline) {
        stats.failed.push({ messageId: delivery.messageId, reason });
        return { status: 'status' in outcome ? outcome.status : null, attempts, error: reason };
      }
      stats.retries++;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      waitMs = Math.min(waitMs * 2, maxRetryMs);
    }
  }

  return { deliver, stats, close: () => dispatcher.close() };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;
