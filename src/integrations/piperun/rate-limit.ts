import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Client-side throttle for one PipeRun token (shared/contracts/piperun.md §4: no documented
 * quota, so we stay at ≤ 2 requests/second and honour 429 Retry-After). Calls are spaced at
 * least `1000 / maxPerSecond` ms apart, in the order they asked: no bursts, so a sync that
 * makes five calls in a row never trips a per-second limit. A hold (from a Retry-After)
 * pauses every call of the client, not just the one that was throttled.
 */
// Timers may fire a little before performance.now() reaches their target (libuv's coarse clock).
const TIMER_SLACK_MS = 2;

export type RateLimiter = {
  /** Resolves when this call may go out. */
  acquire(): Promise<void>;
  /** No call goes out for `ms` from now. */
  holdFor(ms: number): void;
};

export function createRateLimiter({
  maxPerSecond,
  now = () => performance.now(),
}: {
  maxPerSecond: number;
  now?: () => number;
}): RateLimiter {
  if (!(maxPerSecond > 0)) throw new Error(`maxPerSecond must be positive, got ${maxPerSecond}`);
  const intervalMs = 1000 / maxPerSecond;
  let nextSlotAt = 0;
  let heldUntil = 0;

  async function acquire(): Promise<void> {
    for (;;) {
      const slotAt = Math.max(now(), nextSlotAt);
      nextSlotAt = slotAt + intervalMs;
      const waitMs = slotAt - now();
      if (waitMs > 0) await sleep(waitMs);
      // A hold that started while we waited moves us behind it, still spaced.
      if (now() >= heldUntil - TIMER_SLACK_MS) return;
    }
  }

  function holdFor(ms: number): void {
    heldUntil = Math.max(heldUntil, now() + ms);
    nextSlotAt = Math.max(nextSlotAt, heldUntil);
  }

  return { acquire, holdFor };
}
