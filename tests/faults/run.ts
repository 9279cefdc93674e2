import { expect } from 'vitest';
import { VOICE_NOTE_FALLBACK } from '../../src/services/voice-note.service.js';
import type { TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';
import {
  deadLetters,
  expectChatwootOncePerMessage,
  expectCrmOncePerLead,
  expectEachPartSentOnce,
  expectEveryMessageAnsweredOnce,
  expectOnlyHandoffPauses,
  failedJobs,
  type SystemName,
  waitUntilQuiet,
} from './checks.js';
import { type Lead, planLeads, type Sent, talk } from './leads.js';
import { BREAKER_RESET_MS, startRunService, type World } from './world.js';

/**
 * One cell of the fault matrix: a batch of leads talks to the service while one outside system
 * is flaky (about 30% of its calls fail: 500, 429 with Retry-After, timeouts, answers lost after
 * the work was done) or down for a while (refused connections, errors or timeouts on every call)
 * and then back. The run then waits for everything to settle and checks the invariants.
 */
export type Mode = 'flaky' | 'outage';
export type RunSpec = {
  system: SystemName;
  mode: Mode;
  seed: number;
  /** One PipeRun 422 on the first CRM call: the one failure that must become a dead letter. */
  withPermanentError?: boolean;
};

export type Figures = {
  run: string;
  calls: number;
  /** Calls made before the faults stopped (the flaky run's denominator). */
  faultyCalls: number;
  injected: number;
  jobRetries: number;
  breakerOpens: number;
  deadLetters: number;
  offlineReplies: number;
  askedToType: number;
  seconds: number;
};

const FAULT_RATE = 0.3;
const TIMEOUT_FAULT = { delayMs: 1500 };
const RATE_LIMITED = { status: 429, retryAfterSeconds: 1 };
const WAVE_SPACING_MS = 150;
// From the first message on: a breaker's error rate counts the minute before the outage, so
// calls that succeeded just before would keep it closed longer than a short run lasts.
const OUTAGE_STARTS_AT_MS = 0;
const OUTAGE_LASTS_AT_LEAST_MS = 4000;
const OUTAGE_AT_MOST_MS = 20_000;
const FLAKY_DRAIN_MS = 5_000;
const REFUSED_FIELD = 'O campo name é obrigatório.';

const BREAKER_LINES: Record<SystemName, { open: string; close: string }> = {
  whatsapp: { open: 'WhatsApp circuit opened', close: 'WhatsApp circuit closed' },
  llm: { open: 'LLM circuit opened', close: 'LLM circuit closed' },
  transcription: { open: 'transcription circuit opened', close: 'transcription circuit closed' },
  piperun: { open: 'PipeRun circuit opened', close: 'PipeRun circuit closed' },
  chatwoot: { open: 'Chatwoot circuit opened', close: 'Chatwoot circuit closed' },
};

function breakerLog(t: TestService, system: SystemName) {
  const lines = BREAKER_LINES[system];
  const transitions = t.logs
    .map((line) => line.msg ?? '')
    .filter((msg) => msg.startsWith(lines.open) || msg.startsWith(lines.close));
  return {
    opens: transitions.filter((msg) => msg.startsWith(lines.open)).length,
    endsClosed: transitions.length === 0 || (transitions.at(-1) as string).startsWith(lines.close),
  };
}

/** The breaker gauge as the service exports it, whichever name this build uses; undefined if none. */
async function breakerGauge(t: TestService, system: SystemName): Promise<number | undefined> {
  const metrics = await t.service.metrics.registry.getMetricsAsJSON();
  const generic = metrics.find((m) => m.name === 'circuit_breaker_open');
  const value = generic?.values.find((v) => v.labels.system === system)?.value;
  if (value !== undefined) return value;
  const own = { piperun: 'piperun_circuit_open', llm: 'llm_circuit_open' } as Partial<
    Record<SystemName, string>
  >;
  return metrics.find((m) => m.name === own[system])?.values[0]?.value;
}

/** Faults that make about 30% of the system's calls fail, by the fake's seeded dice. */
function makeFlaky(world: World, system: SystemName): void {
  const common = [{ status: 500 }, RATE_LIMITED, TIMEOUT_FAULT];
  if (system === 'whatsapp') world.provider.failRate(FAULT_RATE, [...common, { dropAfterAccept: true }]);
  if (system === 'llm') world.openai.failRate(FAULT_RATE, common, { only: 'chat' });
  if (system === 'transcription') world.openai.failRate(FAULT_RATE, common, { only: 'transcription' });
  if (system === 'piperun') world.piperun.failRate(FAULT_RATE, [...common, { dropAfterCreate: true }]);
  if (system === 'chatwoot') world.chatwoot.failRate(FAULT_RATE, [...common, { dropAfterCreate: true }]);
}

function heal(world: World): void {
  world.provider.failRate(0, []);
  world.openai.failRate(0, []);
  world.piperun.failRate(0, []);
  world.chatwoot.failRate(0, []);
}

/** Takes the system down; the returned function brings it back. */
async function takeDown(world: World, system: SystemName): Promise<() => Promise<void>> {
  if (system === 'whatsapp' || system === 'piperun') {
    const relay = world.relays[system];
    await relay.refuse();
    return () => relay.accept();
  }
  if (system === 'chatwoot') {
    world.chatwoot.down();
    return async () => world.chatwoot.up();
  }
  const faults = system === 'llm' ? [TIMEOUT_FAULT, { status: 500 }] : [{ status: 503 }, RATE_LIMITED];
  world.openai.failRate(1, faults, { only: system === 'llm' ? 'chat' : 'transcription' });
  return async () => world.openai.failRate(0, []);
}

function callsTo(world: World, system: SystemName): number {
  if (system === 'whatsapp')
    return (
      world.provider.requests.filter((r) => r.path.includes('/send-text')).length +
      world.relays.whatsapp.refused()
    );
  if (system === 'llm') return world.openai.chatRequests().length;
  if (system === 'transcription') return world.openai.transcriptionRequests().length;
  if (system === 'piperun') return world.piperun.requests.length + world.relays.piperun.refused();
  return world.chatwoot.requests.length;
}

function injectedInto(world: World, system: SystemName, chatwootDown: number): number {
  if (system === 'whatsapp') return world.provider.faultsInjected() + world.relays.whatsapp.refused();
  if (system === 'llm' || system === 'transcription') return world.openai.faultsInjected();
  if (system === 'piperun') return world.piperun.faultsInjected() + world.relays.piperun.refused();
  return world.chatwoot.faultsInjected() + chatwootDown;
}

type RunFacts = { chatwootDown: number; startedAt: number; callsWhileFaulty: number };

async function figuresOf(t: TestService, world: World, spec: RunSpec, extra: RunFacts) {
  const one = async (sql: string, params: unknown[] = []) =>
    Number((await t.service.pool.query<{ n: number }>(sql, params)).rows[0]?.n ?? 0);
  return {
    run: `${spec.system} ${spec.mode}`,
    calls: callsTo(world, spec.system),
    faultyCalls: extra.callsWhileFaulty,
    injected: injectedInto(world, spec.system, extra.chatwootDown),
    jobRetries: await one(
      `select coalesce(sum(retry_count), 0) as n from pgboss.job where name <> 'dead-letter'`,
    ),
    breakerOpens: breakerLog(t, spec.system).opens,
    deadLetters: await one('select count(*) as n from dead_letters'),
    offlineReplies: await one(
      `select count(*) as n from turns where status = 'sent' and agent ->> 'fallback' in ('llm_error', 'circuit_open')`,
    ),
    askedToType: await one('select count(*) as n from outbox where text = $1', [VOICE_NOTE_FALLBACK]),
    seconds: Math.round((Date.now() - extra.startedAt) / 100) / 10,
  } satisfies Figures;
}

/** Down from the first message, until at least its breaker opened; returns when the next leads start. */
async function playOutage(world: World, t: TestService, system: SystemName, t0: number) {
  await waitFor(() => Date.now() >= t0 + OUTAGE_STARTS_AT_MS, {
    what: 'the outage to begin',
    intervalMs: 20,
  });
  const requestsBefore = world.chatwoot.requests.length;
  const bringBack = await takeDown(world, system);
  await waitFor(
    () =>
      Date.now() >= t0 + OUTAGE_STARTS_AT_MS + OUTAGE_LASTS_AT_LEAST_MS && breakerLog(t, system).opens > 0,
    { what: `the ${system} breaker to open during the outage`, timeoutMs: OUTAGE_AT_MOST_MS, intervalMs: 50 },
  );
  const chatwootDown = system === 'chatwoot' ? world.chatwoot.requests.length - requestsBefore : 0;
  await bringBack();
  // Past the breaker's reset: the last leads are the traffic that closes it again.
  return { afterAt: Date.now() + BREAKER_RESET_MS + 300, chatwootDown };
}

/** The leads write in three waves; an outage spans the first two. */
async function playLoad(world: World, t: TestService, spec: RunSpec, leads: Lead[], sent: Sent[]) {
  const wave = (name: Lead['wave'], startAt: number, spacingMs: number) =>
    leads
      .filter((lead) => lead.wave === name)
      .map((lead, i) => talk(t, world.provider, lead, startAt + i * spacingMs, sent));
  const t0 = Date.now() + 100;
  const talking = [...wave('first', t0, WAVE_SPACING_MS), ...wave('second', t0 + 1200, 2 * WAVE_SPACING_MS)];
  const outage = spec.mode === 'outage' ? await playOutage(world, t, spec.system, t0) : undefined;
  talking.push(...wave('after', outage?.afterAt ?? t0 + 4000, WAVE_SPACING_MS));
  await Promise.all(talking);
  return { chatwootDown: outage?.chatwootDown ?? 0 };
}

async function expectInvariants(world: World, t: TestService, spec: RunSpec, leads: Lead[], sent: Sent[]) {
  await expectEveryMessageAnsweredOnce(world, t, sent);
  await expectEachPartSentOnce(world, t);
  await expectOnlyHandoffPauses(t, leads);
  await expectCrmOncePerLead(world, t, leads, spec.withPermanentError ? 1 : 0);
  await expectChatwootOncePerMessage(world, t, leads);
  const letters = await deadLetters(t);
  if (spec.withPermanentError) {
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ queue: 'crm-sync', error: expect.stringContaining(REFUSED_FIELD) });
  } else {
    expect(letters, 'dead letters for transient faults').toEqual([]);
  }
  expect(await failedJobs(t)).toEqual([]);
  const breaker = breakerLog(t, spec.system);
  if (spec.mode === 'outage') {
    expect(breaker.opens).toBeGreaterThan(0);
    expect(breaker.endsClosed, `${spec.system} breaker closed again after the recovery`).toBe(true);
  }
  // An open breaker half-opens on its own after the reset; the gauge reads closed from then on.
  await waitFor(async () => (await breakerGauge(t, spec.system)) !== 1, {
    what: `the ${spec.system} breaker gauge to read closed`,
    timeoutMs: 3 * BREAKER_RESET_MS,
  });
}

export async function runCell(world: World, spec: RunSpec, services: TestService[]): Promise<Figures> {
  const startedAt = Date.now();
  const t = await startRunService(world);
  services.push(t);
  const leads = planLeads(spec.seed);
  const sent: Sent[] = [];
  if (spec.withPermanentError) {
    const body = { success: false, message: 'Unprocessable Entity', data: { name: REFUSED_FIELD } };
    world.piperun.fail(1, { status: 422, body });
  }
  if (spec.mode === 'flaky') makeFlaky(world, spec.system);
  const { chatwootDown } = await playLoad(world, t, spec, leads, sent);
  // The CRM and Chatwoot queues work on after the leads stop writing: a flaky system stays
  // flaky a while longer so the faults meet that work too, then heals for the final drain.
  if (spec.mode === 'flaky') {
    await waitUntilQuiet(world, t, { timeoutMs: FLAKY_DRAIN_MS, hurry: false }).catch(() => undefined);
  }
  const callsWhileFaulty = callsTo(world, spec.system);
  heal(world);
  await waitUntilQuiet(world, t);
  await expectInvariants(world, t, spec, leads, sent);
  return figuresOf(t, world, spec, { chatwootDown, startedAt, callsWhileFaulty });
}

export function formatTable(rows: Figures[]): string {
  const header: (keyof Figures)[] = [
    'run',
    'calls',
    'faultyCalls',
    'injected',
    'jobRetries',
    'breakerOpens',
    'deadLetters',
    'offlineReplies',
    'askedToType',
    'seconds',
  ];
  const cells = [header.map(String), ...rows.map((row) => header.map((key) => String(row[key])))];
  const widths = header.map((_, i) => Math.max(...cells.map((line) => (line[i] as string).length)));
  return cells.map((line) => line.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ')).join('\n');
}
