import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import type { LeadStatus } from '../../src/db/lead.repo.js';
import type { Queryable } from '../../src/db/pool.js';
import { checkReply } from '../../src/domain/guardrails/policy.js';
import { countQuestions } from '../../src/domain/guardrails/questions.js';
import { fold } from '../../src/domain/lead/extractors/text.js';
import { TEMPERATURES, type Temperature } from '../../src/domain/lead/scoring.js';
import { emptySlots, type LeadSlots, LeadSlotsSchema, SLOT_NAMES } from '../../src/domain/lead/slots.js';

/** Scripted lead conversations (tests/scenarios/*.yaml); the format is in tests/scenarios/README.md. */

const LEAD_STATUSES = ['qualifying', 'qualified', 'handed_off', 'closed_cold'] as const;

const fragments = z.array(z.string().min(1)).min(1);
const slotName = z.enum(SLOT_NAMES);
const bounds = z
  .object({ min: z.number().int().nonnegative().optional(), max: z.number().int().nonnegative().optional() })
  .strict();

/** The same checks serve a turn (on that turn's replies) and the end (on every reply). */
const ExpectationsSchema = z
  .object({
    reply_contains: fragments.optional(),
    reply_not_contains: fragments.optional(),
    slots: z.partialRecord(slotName, z.string().min(1)).optional(),
    filled: z.array(slotName).optional(),
    missing: z.array(slotName).optional(),
    temperature: z.enum(TEMPERATURES).optional(),
    status: z.enum(LEAD_STATUSES).optional(),
    replies: bounds.optional(),
  })
  .strict();
export type Expectations = z.infer<typeof ExpectationsSchema>;

const ScenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().min(1),
    phone: z.string().regex(/^55\d{10,11}$/, 'must be a Brazilian E.164 number without "+"'),
    turns: z
      .array(
        z
          .object({
            lead: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
            expect: ExpectationsSchema.optional(),
          })
          .strict(),
      )
      .min(1),
    expect: ExpectationsSchema,
  })
  .strict();
export type Scenario = z.infer<typeof ScenarioSchema>;

export type LoadedScenario = { file: string } & ({ scenario: Scenario } | { problem: string });

/** Every scenario in `dir`; a malformed one comes back as a problem naming the file. */
export function loadScenarios(dir: URL): LoadedScenario[] {
  const files = readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort();
  const loaded = files.map((file): LoadedScenario => {
    try {
      const parsed = ScenarioSchema.safeParse(parse(readFileSync(new URL(file, dir), 'utf8')));
      if (parsed.success) return { file, scenario: parsed.data };
      return { file, problem: `${file} is not a valid scenario:\n${z.prettifyError(parsed.error)}` };
    } catch (error) {
      return { file, problem: `${file} is not valid YAML: ${(error as Error).message}` };
    }
  });
  return [...loaded, ...duplicates(loaded)];
}

/** Scenarios share one service, so a phone (the lead's identity) or a name used twice is an error. */
function duplicates(loaded: LoadedScenario[]): LoadedScenario[] {
  const seen = new Map<string, string>();
  const problems: LoadedScenario[] = [];
  for (const entry of loaded) {
    if (!('scenario' in entry)) continue;
    for (const key of [`phone ${entry.scenario.phone}`, `name "${entry.scenario.name}"`]) {
      const other = seen.get(key);
      if (other) problems.push({ file: entry.file, problem: `${entry.file} reuses the ${key} of ${other}` });
      seen.set(key, entry.file);
    }
  }
  return problems;
}

export type LeadState = { status: LeadStatus; temperature: Temperature | null; slots: LeadSlots };

export async function readLead(db: Queryable, phone: string): Promise<LeadState | undefined> {
  const result = await db.query<{ status: LeadStatus; temperature: Temperature | null; profile: unknown }>(
    'select status, temperature, profile from leads where phone = $1',
    [phone],
  );
  const row = result.rows[0];
  if (!row) return undefined;
  return { status: row.status, temperature: row.temperature, slots: parseSlots(row.profile) };
}

function parseSlots(profile: unknown): LeadSlots {
  return { ...emptySlots(), ...LeadSlotsSchema.partial().parse(profile ?? {}) };
}

export function filledSlots(slots: LeadSlots): number {
  return SLOT_NAMES.filter((slot) => slots[slot] !== null).length;
}

/** The rules no reply may break, whatever the scenario: no commercial terms, at most two questions. */
export function checkUniversalRules(replies: string[], where: string): void {
  for (const reply of replies) {
    const verdict = checkReply(reply);
    expect(
      verdict.ok,
      `${where}: reply breaks the guardrails ${JSON.stringify(verdict.violations)}\n${reply}`,
    ).toBe(true);
    expect(countQuestions(reply), `${where}: more than 2 questions in\n${reply}`).toBeLessThanOrEqual(2);
  }
}

/** Checks `expected` against the replies in scope (one turn's, or all of them) and the lead now. */
export function checkExpectations(
  expected: Expectations,
  scope: { replies: string[]; lead: LeadState | undefined; where: string },
): void {
  checkReplies(expected, scope.replies, scope.where);
  const { slots, filled, missing, temperature, status } = expected;
  if (slots || filled || missing || temperature || status) checkLead(expected, scope.lead, scope.where);
}

function checkReplies(expected: Expectations, replies: string[], where: string): void {
  const said = fold(replies.join('\n'));
  for (const fragment of expected.reply_contains ?? []) {
    expect(said, `${where}: no reply contains "${fragment}"`).toContain(fold(fragment));
  }
  for (const fragment of expected.reply_not_contains ?? []) {
    expect(said, `${where}: a reply contains "${fragment}"`).not.toContain(fold(fragment));
  }
  const { min = 0, max = Number.POSITIVE_INFINITY } = expected.replies ?? {};
  expect(replies.length, `${where}: reply parts sent`).toBeGreaterThanOrEqual(min);
  expect(replies.length, `${where}: reply parts sent`).toBeLessThanOrEqual(max);
}

function checkLead(expected: Expectations, lead: LeadState | undefined, where: string): void {
  if (!lead) throw new Error(`${where}: no lead row for this phone`);
  if (expected.slots) expect(lead.slots, `${where}: lead slots`).toMatchObject(expected.slots);
  for (const slot of expected.filled ?? []) {
    expect(lead.slots[slot], `${where}: slot ${slot} should be filled`).not.toBeNull();
  }
  for (const slot of expected.missing ?? []) {
    expect(lead.slots[slot], `${where}: slot ${slot} should be empty`).toBeNull();
  }
  if (expected.temperature) expect(lead.temperature, `${where}: temperature`).toBe(expected.temperature);
  if (expected.status) expect(lead.status, `${where}: status`).toBe(expected.status);
}
