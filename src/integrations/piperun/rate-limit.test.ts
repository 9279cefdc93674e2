import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.js';

// Timers may fire up to a millisecond before performance.now() reaches their target.
const CLOCK_SLACK_MS = 2;

async function acquireAll(limiter: ReturnType<typeof createRateLimiter>, count: number) {
  const startedAt = performance.now();
  const order: number[] = [];
  const offsets: number[] = [];
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      await limiter.acquire();
      order.push(index);
      offsets[index] = performance.now() - startedAt;
    }),
  );
  return { order, offsets };
}

describe('PipeRun rate limiter', () => {
  it('lets the k-th of concurrent calls go no earlier than k intervals, in the order they asked', async () => {
    const { order, offsets } = await acquireAll(createRateLimiter({ maxPerSecond: 25 }), 6);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    offsets.forEach((offset, k) => {
      expect(offset).toBeGreaterThanOrEqual(k * 40 - CLOCK_SLACK_MS);
    });
  });

  it('lets a call go at once after a quiet interval', async () => {
    const limiter = createRateLimiter({ maxPerSecond: 50 });
    await limiter.acquire();
    await new Promise((resolve) => setTimeout(resolve, 40));
    const { offsets } = await acquireAll(limiter, 1);
    expect(offsets[0]).toBeLessThan(20);
  });

  it('holds every call for a Retry-After, then keeps them spaced', async () => {
    const limiter = createRateLimiter({ maxPerSecond: 50 });
    limiter.holdFor(120);
    const { offsets } = await acquireAll(limiter, 3);
    offsets.forEach((offset, k) => {
      expect(offset).toBeGreaterThanOrEqual(120 + k * 20 - CLOCK_SLACK_MS);
    });
  });

  it('moves a waiting call behind a hold that starts while it waits', async () => {
    const limiter = createRateLimiter({ maxPerSecond: 10 });
    await limiter.acquire();
    const startedAt = performance.now();
    const waiting = limiter.acquire();
    limiter.holdFor(250);
    await waiting;
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(250 - CLOCK_SLACK_MS);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => createRateLimiter({ maxPerSecond: 0 })).toThrow(/maxPerSecond must be positive/);
    expect(() => createRateLimiter({ maxPerSecond: Number.NaN })).toThrow(/maxPerSecond must be positive/);
  });
});
