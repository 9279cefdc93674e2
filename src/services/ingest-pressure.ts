/**
 * How hard webhooks are arriving at this instance. During a flood (a provider redelivering a
 * backlog after an outage, a campaign's replies) background work gives way to the webhook: a
 * provider that waits too long for its 200 retries, and Meta disables a webhook that keeps
 * failing, while applying an accepted event can wait a few seconds without losing anything.
 */
export type IngestPressure = {
  /** One webhook request answered by this instance. */
  mark: () => void;
  /** True while webhooks arrive at `floodPerSecond` or faster (this second or the last). */
  isFlooded: () => boolean;
};

const WINDOW_MS = 1000;

export function createIngestPressure({
  floodPerSecond,
  now = Date.now,
}: {
  floodPerSecond: number;
  now?: () => number;
}): IngestPressure {
  let windowStart = now();
  let current = 0;
  let previous = 0;

  function roll(): void {
    const elapsed = now() - windowStart;
    if (elapsed < WINDOW_MS) return;
    // A quiet gap longer than a window means the last full window saw nothing.
    previous = elapsed < 2 * WINDOW_MS ? current : 0;
    current = 0;
    windowStart += Math.floor(elapsed / WINDOW_MS) * WINDOW_MS;
  }

  return {
    mark() {
      roll();
      current++;
    },
    isFlooded() {
      roll();
      return current >= floodPerSecond || previous >= floodPerSecond;
    },
  };
}
