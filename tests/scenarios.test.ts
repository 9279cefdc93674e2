import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkExpectations,
  checkUniversalRules,
  filledSlots,
  loadScenarios,
  readLead,
  readReplies,
  type Scenario,
} from './helpers/scenario.js';
import { startTestService, TEST_ADMIN_TOKEN, type TestService } from './helpers/service.js';
import { waitUntilSettled } from './helpers/settled.js';

/**
 * Scripted lead conversations (tests/scenarios/*.yaml) through the whole service, offline agent,
 * console provider, real Postgres. One service for the file; each scenario has its own phone.
 */
const scenarios = loadScenarios(new URL('./scenarios/', import.meta.url));

// A small buffer still groups a burst posted back to back; the send cap must not pace the suite.
const env = { MESSAGE_BUFFER_MS: '50', WHATSAPP_MAX_SENDS_PER_MINUTE: '60000' };

let t: TestService;
beforeAll(async () => {
  t = await startTestService(env);
});
afterAll(async () => {
  await t?.stop();
});

async function say(phone: string, text: string): Promise<void> {
  const response = await t.service.app.inject({
    method: 'POST',
    url: '/webhooks/whatsapp/console',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    payload: JSON.stringify({ from: phone, text }),
  });
  expect(response.statusCode, `posting "${text}"`).toBe(200);
}

async function play(scenario: Scenario): Promise<void> {
  const { phone } = scenario;
  let sent = 0;
  for (const [index, turn] of scenario.turns.entries()) {
    const where = `${scenario.name}, turn ${index + 1}`;
    // A list is a burst: posted back to back, without waiting for an answer in between.
    for (const text of Array.isArray(turn.lead) ? turn.lead : [turn.lead]) await say(phone, text);
    await waitUntilSettled(t.service.pool);
    const replies = (await readReplies(t.service.pool, phone)).slice(sent);
    sent += replies.length;
    checkUniversalRules(replies, where);
    if (turn.expect) {
      checkExpectations(turn.expect, { replies, lead: await readLead(t.service.pool, phone), where });
    }
  }
  const replies = await readReplies(t.service.pool, phone);
  const lead = await readLead(t.service.pool, phone);
  checkExpectations(scenario.expect, { replies, lead, where: `${scenario.name}, at the end` });
  console.log(
    `[scenario] ${scenario.name}: ${scenario.turns.length} turns, ${replies.length} replies, ` +
      `status=${lead?.status}, temperature=${lead?.temperature}, slots filled=${lead ? filledSlots(lead.slots) : 0}/11`,
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
