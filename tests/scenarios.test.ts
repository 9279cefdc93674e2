import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleLead } from './helpers/console-lead.js';
import {
  checkExpectations,
  checkUniversalRules,
  filledSlots,
  loadScenarios,
  readLead,
  type Scenario,
} from './helpers/scenario.js';
import { startTestService, type TestService } from './helpers/service.js';
import { waitUntilSettled } from './helpers/settled.js';

/**
 * Scripted lead conversations (tests/scenarios/*.yaml) through the whole service, offline agent,
 * console provider, real Postgres. One service for the file; each scenario has its own phone.
 */
const scenarios = loadScenarios(new URL('./scenarios/', import.meta.url));

// The buffer must outlast posting a burst on a loaded CI machine (50 ms split one in CI); the
// send cap must not pace the suite.
const env = { MESSAGE_BUFFER_MS: '400', WHATSAPP_MAX_SENDS_PER_MINUTE: '60000' };

let t: TestService;
beforeAll(async () => {
  t = await startTestService(env);
});
afterAll(async () => {
  await t?.stop();
});

async function play(scenario: Scenario): Promise<void> {
  const { phone } = scenario;
  const lead = consoleLead(t, phone);
  let sent = 0;
  for (const [index, turn] of scenario.turns.entries()) {
    const where = `${scenario.name}, turn ${index + 1}`;
    // A list is a burst: posted back to back, without waiting for an answer in between.
    for (const text of Array.isArray(turn.lead) ? turn.lead : [turn.lead]) await lead.say(text);
    await waitUntilSettled(t.service.pool);
    const replies = (await lead.replies()).slice(sent);
    sent += replies.length;
    checkUniversalRules(replies, where);
    if (turn.expect) {
      checkExpectations(turn.expect, { replies, lead: await readLead(t.service.pool, phone), where });
    }
  }
  const replies = await lead.replies();
  const final = await readLead(t.service.pool, phone);
  checkExpectations(scenario.expect, { replies, lead: final, where: `${scenario.name}, at the end` });
  console.log(
    `[scenario] ${scenario.name}: ${scenario.turns.length} turns, ${replies.length} replies, ` +
      `status=${final?.status}, temperature=${final?.temperature}, slots filled=${final ? filledSlots(final.slots) : 0}/11`,
  );
}

describe('lead scenarios (offline agent, whole service)', () => {
  it('finds scenario files', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  for (const entry of scenarios) {
    if ('problem' in entry) {
      it(entry.file, () => {
        throw new Error(entry.problem);
      });
    } else {
      it(entry.scenario.name, () => play(entry.scenario));
    }
  }
});
