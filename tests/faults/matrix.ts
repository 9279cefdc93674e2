import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import type { TestService } from '../helpers/service.js';
import type { SystemName } from './checks.js';
import { type Figures, formatTable, type Mode, runCell } from './run.js';
import { resetWorld, startWorld, stopWorld, type World } from './world.js';

/**
 * One row pair of the fault matrix (issue 9): the system flaky, then down for a while, each run
 * with the same batch of 24 leads (chatting, hot, voice notes) against the real Postgres harness
 * and the service in-process. One file per system, so vitest runs the systems side by side.
 */
const MODES: Mode[] = ['flaky', 'outage'];
const RUN_TIMEOUT_MS = 90_000;

export function describeFaultRuns(system: SystemName, options: { seed: number; permanentErrorIn?: Mode }) {
  let world: World;
  const services: TestService[] = [];
  const figures: Figures[] = [];

  beforeAll(async () => {
    world = await startWorld(options.seed);
  });
  afterEach(async () => {
    for (const t of services.splice(0)) await t.stop();
    await resetWorld(world);
  });
  afterAll(async () => {
    await stopWorld(world);
    if (figures.length > 0)
      console.log(`fault matrix, ${system} (24 leads per run)\n${formatTable(figures)}`);
  });

  describe(`fault matrix: ${system}`, () => {
    MODES.forEach((mode, m) => {
      const withPermanentError = options.permanentErrorIn === mode;
      const extra = withPermanentError ? ', and its one permanent error is dead-lettered' : '';
      it(
        `${mode}: every message answered once, nothing created twice${extra}`,
        async () => {
          const spec = { system, mode, seed: options.seed + m, withPermanentError };
          figures.push(await runCell(world, spec, services));
        },
        RUN_TIMEOUT_MS,
      );
    });
  });
}
