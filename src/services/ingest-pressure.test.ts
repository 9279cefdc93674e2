import { describe, expect, it } from 'vitest';
import { createIngestPressure } from './ingest-pressure.js';

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('ingest pressure', () => {
  it('is calm below the flood rate and flooded once a second reaches it', () => {
    const time = clock();
    const pressure = createIngestPressure({ floodPerSecond: 5, now: time.now });
    for (let i = 0; i < 4; i++) pressure.mark();
    expect(pressure.isFlooded()).toBe(false);
    pressure.mark();
    expect(pressure.isFlooded()).toBe(true);
  });

  it('stays flooded through the next second, then calms down after a quiet one', () => {
    const time = clock();
    const pressure = createIngestPressure({ floodPerSecond: 3, now: time.now });
    for (let i = 0; i < 3; i++) pressure.mark();
    time.advance(1000);
    expect(pressure.isFlooded()).toBe(true);
    time.advance(1000);
    expect(pressure.isFlooded()).toBe(false);
  });

  it('forgets a flood after a long silence', () => {
    const time = clock();
    const pressure = createIngestPressure({ floodPerSecond: 2, now: time.now });
    pressure.mark();
    pressure.mark();
    time.advance(60_000);
    expect(pressure.isFlooded()).toBe(false);
    pressure.mark();
    expect(pressure.isFlooded()).toBe(false);
  });

  it('counts each window on its own when marks straddle a boundary', () => {
    const time = clock();
    const pressure = createIngestPressure({ floodPerSecond: 4, now: time.now });
    time.advance(900);
    pressure.mark();
    pressure.mark();
    time.advance(200);
    pressure.mark();
    pressure.mark();
    expect(pressure.isFlooded()).toBe(false);
  });
});
