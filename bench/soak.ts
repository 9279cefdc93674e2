import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Pool } from 'undici';
import { phoneFor, zapiText } from '../tests/factories.js';
import { createFakeOpenAI, type FakeOpenAI } from '../tests/fakes/openai.js';
import { createFakeWhatsAppProvider, type FakeWhatsAppProvider } from '../tests/fakes/whatsapp-provider.js';
import { providerEnv, ZAPI_WEBHOOK_SECRET } from '../tests/helpers/pipeline.js';
import { auditReplies } from '../tests/helpers/reply-audit.js';
import { seededRandom } from '../tests/helpers/seeded-random.js';
import { isSettled } from '../tests/helpers/settled.js';
import { KNOWLEDGE_DIR, percentile, positiveEnv, startBenchPostgres } from './harness.js';
import { type Sample, startServiceChild } from './soak-service.js';

/**
 * `npm run soak`: the real service (startService, in a child process of its own so its memory and
 * event loop are its own) under a steady open-loop stream of Z-API webhooks for SOAK_SECONDS at
 * SOAK_RATE messages/s, with the model's path on (fake OpenAI) and the fake provider, all on
 * 127.0.0.1, against a throwaway Postgres. Leads arrive all the time and write five messages
 * each, 0.5–4 s apart; 5% of deliveries are repeated. Per window it prints the service's RSS and
 * heap, event-loop delay p50/p99 (perf_hooks, beyond its 10 ms timer), webhook throughput and
 * latency, and the backlog. Then it waits for the pipeline to drain and audits every message.
 *
 * Exits 1 when: RSS grew more than SOAK_MAX_RSS_GROWTH_MB from the end of the first (warm-up)
 * window to the end of the run; the last window's event-loop p99 is more than
 * SOAK_MAX_LAG_DRIFT_MS above the first measured window's; or any webhook failed, the service
 * logged an error, a job was dead-lettered, or a message was lost or answered twice.
 */
const SECONDS = positiveEnv('SOAK_SECONDS', 600);
const RATE = positiveEnv('SOAK_RATE', 100);
// A short run still gets three windows: the first is the warm-up.
const WINDOW_S = Math.min(positiveEnv('SOAK_WINDOW_SECONDS', 60), Math.max(5, Math.floor(SECONDS / 3)));
const BUFFER_MS = positiveEnv('SOAK_BUFFER_MS', 3_000);
const DRAIN_S = positiveEnv('SOAK_DRAIN_SECONDS', 120);
const MAX_RSS_GROWTH_MB = positiveEnv('SOAK_MAX_RSS_GROWTH_MB', 64);
const MAX_LAG_DRIFT_MS = positiveEnv('SOAK_MAX_LAG_DRIFT_MS', 50);
const MESSAGES_EACH = 5;
const DUPLICATE_SHARE = 0.05;
const CONNECTIONS = 32;
const MAX_ATTEMPTS = 5;
const RETRY_MS = 1_000;
const MB = 1024 * 1024;
const WEBHOOK_PATH = `/webhooks/whatsapp/zapi?token=${ZAPI_WEBHOOK_SECRET}`;

// ---- the load (this process) ----

type Message = { lead: number; index: number; body: string; messageId: string };

function createLoad(baseUrl: string) {
  const pool = new Pool(baseUrl, { connections: CONNECTIONS });
  const random = seededRandom(42);
  const accepted = new Set<string>();
  const due: { at: number; message: Message; isRepeat: boolean }[] = [];
  const inFlight = new Set<Promise<void>>();
  const totals = { posted: 0, repeats: 0, leads: 0, retried: 0, failed: 0, firstFailures: [] as string[] };
  let latencies: number[] = [];

  const messageOf = (lead: number, index: number): Message => {
    const messageId = `SOAK${lead}M${index}`;
    const body = zapiText({ phone: phoneFor(200_000 + lead), text: `Recado l${lead} m${index}`, messageId });
    return { lead, index, messageId, body: JSON.stringify(body) };
  };

  /** A follow-up or a repeat whose time has come, else a new lead's first message. */
  function next(now: number): { message: Message; isRepeat: boolean } {
    const ready = due.findIndex((item) => item.at <= now);
    if (ready >= 0) return due.splice(ready, 1)[0] as { message: Message; isRepeat: boolean };
    return { message: messageOf(totals.leads++, 0), isRepeat: false };
  }

  /** One attempt: the status, or the transport error's message. */
  async function attempt(message: Message): Promise<number | string> {
    const sentAt = performance.now();
    try {
      const { statusCode, body } = await pool.request({
        method: 'POST',
        path: WEBHOOK_PATH,
        headers: { 'content-type': 'application/json' },
        body: message.body,
      });
      await body.dump();
      latencies.push(performance.now() - sentAt);
      return statusCode;
    } catch (error) {
      return (error as Error).message;
    }
  }

  async function post({ message, isRepeat }: { message: Message; isRepeat: boolean }) {
    // As a provider does: a refused or unanswered delivery is sent again, a little later each time.
    for (let tries = 1; ; tries++) {
      const outcome = await attempt(message);
      if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) break;
      const isRetryable = typeof outcome === 'string' || outcome === 429 || outcome >= 500;
      if (!isRetryable || tries === MAX_ATTEMPTS) {
        totals.failed++;
        const reason = typeof outcome === 'number' ? `HTTP ${outcome}` : outcome;
        if (totals.firstFailures.length < 5) totals.firstFailures.push(`${message.messageId}: ${reason}`);
        return;
      }
      totals.retried++;
      await sleep(RETRY_MS * tries);
    }
    accepted.add(message.messageId);
    const now = performance.now();
    if (!isRepeat && message.index + 1 < MESSAGES_EACH) {
      due.push({
        at: now + 500 + random() * 3_500,
        message: messageOf(message.lead, message.index + 1),
        isRepeat: false,
      });
    }
    if (!isRepeat && random() < DUPLICATE_SHARE) {
      totals.repeats++;
      due.push({ at: now + random() * 2_000, message, isRepeat: true });
    }
  }

  function fire(now: number) {
    totals.posted++;
    const sending = post(next(now));
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  }

  return {
    accepted,
    totals,
    fire,
    /** Webhook latencies since the last call, sorted. */
    takeLatencies: () => {
      const taken = latencies.sort((a, b) => a - b);
      latencies = [];
      return taken;
    },
    close: async () => {
      await Promise.all(inFlight);
      await pool.close();
    },
  };
}

async function backlog(db: pg.Pool) {
  const { rows } = await db.query<Record<string, number>>(
    `select (select count(*)::int from inbound_events where processed_at is null) as events,
       (select count(*)::int from messages where author = 'lead' and turn_id is null) as unanswered,
       (select count(*)::int from outbox where status in ('pending', 'sending')) as outbox,
       (select count(*)::int from pgboss.job where name = 'conversation-turn' and state in ('created', 'retry', 'active')) as turns,
       (select count(*)::int from dead_letters) as dead`,
  );
  return rows[0] ?? {};
}

// ---- the run ----

const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
type Fakes = { provider: FakeWhatsAppProvider; model: FakeOpenAI };
type Service = Awaited<ReturnType<typeof startServiceChild>>;
type Load = ReturnType<typeof createLoad>;

const HEADER =
  '  t s   posted   msg/s  hook p50/p99 ms   rss MB  heap MB  lag p50/p99/max ms   backlog events/unanswered/outbox/turns  sends';

/** Posts at RATE for SECONDS, printing one line per window; returns the window samples. */
async function driveLoad({
  service,
  load,
  db,
  fakes,
}: {
  service: Service;
  load: Load;
  db: pg.Pool;
  fakes: Fakes;
}) {
  const samples: Sample[] = [];
  const startedAt = performance.now();
  let windowEnd = WINDOW_S;
  let postedBefore = 0;
  console.log(HEADER);
  for (;;) {
    const elapsedS = (performance.now() - startedAt) / 1000;
    const target = Math.floor(Math.min(elapsedS, SECONDS) * RATE);
    while (load.totals.posted < target) load.fire(performance.now());
    if (elapsedS >= windowEnd) {
      const sample = await service.sample();
      samples.push(sample);
      const hooks = load.takeLatencies();
      const b = await backlog(db);
      const rate = (load.totals.posted - postedBefore) / WINDOW_S;
      postedBefore = load.totals.posted;
      console.log(
        `${String(windowEnd).padStart(5)} ${String(load.totals.posted).padStart(8)} ${fmt(rate, 0).padStart(7)} ` +
          `${`${fmt(percentile(hooks, 50))}/${fmt(percentile(hooks, 99))}`.padStart(16)} ${fmt(sample.rss / MB).padStart(8)} ` +
          `${fmt(sample.heapUsed / MB).padStart(8)} ${`${fmt(sample.lagP50)}/${fmt(sample.lagP99)}/${fmt(sample.lagMax)}`.padStart(20)}   ` +
          `${`${b.events}/${b.unanswered}/${b.outbox}/${b.turns}`.padStart(38)} ${String(fakes.provider.sends.length).padStart(6)}`,
      );
      // The fakes keep every request; this run's memory is the service's, not theirs.
      fakes.provider.requests.splice(0);
      fakes.model.requests.splice(0);
      windowEnd += WINDOW_S;
    }
    if (elapsedS >= SECONDS) break;
    await sleep(5);
  }
  await load.close();
  return { samples, trafficS: (performance.now() - startedAt) / 1000 };
}

/** Waits for the pipeline to go idle (bounded), then audits every accepted message. */
async function drainAndAudit(db: pg.Pool, load: Load, provider: FakeWhatsAppProvider) {
  const startedAt = performance.now();
  while (!(await isSettled(db)) && performance.now() - startedAt < DRAIN_S * 1000) await sleep(250);
  const drainS = (performance.now() - startedAt) / 1000;
  const isDrained = await isSettled(db);
  const audit = await auditReplies(db, { accepted: load.accepted, sends: provider.sends });
  const { dead = 0 } = await backlog(db);
  return { drainS, isDrained, audit, dead };
}

type Outcome = Awaited<ReturnType<typeof drainAndAudit>> & {
  samples: Sample[];
  load: Load;
  service: Service;
};

function judge({ samples, load, service, dead, isDrained, audit }: Outcome) {
  const warm = samples[0];
  const firstMeasured = samples[1] ?? warm;
  const last = samples[samples.length - 1];
  const growthMb = warm && last ? (last.rss - warm.rss) / MB : Number.NaN;
  const drift = firstMeasured && last ? last.lagP99 - firstMeasured.lagP99 : Number.NaN;
  return [
    {
      ok: growthMb <= MAX_RSS_GROWTH_MB,
      line: `RSS growth after warm-up ${fmt(growthMb)} MB <= ${MAX_RSS_GROWTH_MB} MB`,
    },
    {
      ok: drift <= MAX_LAG_DRIFT_MS,
      line: `event-loop p99 drift (last − first measured window) ${fmt(drift)} ms <= ${MAX_LAG_DRIFT_MS} ms`,
    },
    {
      ok: load.totals.failed === 0 && service.errorLines.length === 0 && dead === 0,
      line: 'no webhook failure, service error or dead letter',
    },
    { ok: isDrained, line: `backlog drained within ${DRAIN_S} s of the end of the load` },
    {
      ok: isDrained && audit.problems.length === 0,
      line: isDrained
        ? 'every accepted message stored once and answered once (none lost, none doubled)'
        : 'every accepted message answered once: not drained, so late cannot be told from lost',
    },
  ];
}

function report({
  load,
  service,
  audit,
  dead,
  drainS,
  trafficS,
  end,
}: Outcome & { trafficS: number; end: Sample }) {
  const { posted, leads, repeats, failed, firstFailures } = load.totals;
  console.log(
    [
      `end: rss ${fmt(end.rss / MB)} MB, heap ${fmt(end.heapUsed / MB)} / ${fmt(end.heapTotal / MB)} MB`,
      `throughput: ${posted} webhooks in ${fmt(trafficS)} s (${fmt(posted / trafficS, 0)}/s), ${leads} leads, ` +
        `${repeats} repeats; ${audit.providerSends} replies for ${audit.replyTurns} turns ` +
        `(${fmt(audit.providerSends / (trafficS + drainS), 0)}/s); drained in ${fmt(drainS)} s`,
      `errors: ${failed} webhooks failed after ${MAX_ATTEMPTS} attempts (${load.totals.retried} retries in all), ${service.errorLines.length} service error lines, ${dead} dead letters, ` +
        `${audit.partsUncertain} uncertain parts, ${audit.problems.length} audit problems`,
      ...[...firstFailures, ...service.errorLines.slice(0, 5), ...audit.problems].map((line) => `  ${line}`),
    ].join('\n'),
  );
}

async function main(): Promise<number> {
  const postgres = await startBenchPostgres();
  const fakes: Fakes = { provider: createFakeWhatsAppProvider(), model: createFakeOpenAI() };
  let service: Service | undefined;
  let db: pg.Pool | undefined;
  try {
    const database = await postgres.createDatabase('soak');
    const urls = await fakes.provider.start();
    const { baseUrl: openaiUrl } = await fakes.model.start();
    service = await startServiceChild({
      ...providerEnv('zapi', urls),
      DATABASE_URL: database.url,
      LOG_LEVEL: 'warn',
      MESSAGE_BUFFER_MS: String(BUFFER_MS),
      KNOWLEDGE_DIR,
      OPENAI_API_KEY: 'sk-test-fake',
      OPENAI_BASE_URL: openaiUrl,
    });
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    console.log(
      `soak on ${postgres.describe}: ${SECONDS} s at ${RATE} messages/s, windows of ${WINDOW_S} s ` +
        `(the first is warm-up), buffer ${BUFFER_MS} ms, service pid ${service.pid}`,
    );
    const start = await service.sample();
    console.log(
      `start: rss ${fmt(start.rss / MB)} MB, heap ${fmt(start.heapUsed / MB)} / ${fmt(start.heapTotal / MB)} MB`,
    );
    const load = createLoad(`http://127.0.0.1:${service.port}`);
    const { samples, trafficS } = await driveLoad({ service, load, db, fakes });
    const end = await service.sample();
    const outcome: Outcome = { ...(await drainAndAudit(db, load, fakes.provider)), samples, load, service };
    report({ ...outcome, trafficS, end });
    const checks = judge(outcome);
    for (const check of checks) console.log(`${check.ok ? 'PASS' : 'FAIL'} ${check.line}`);
    return checks.every((check) => check.ok) ? 0 : 1;
  } finally {
    await service?.stop();
    await db?.end();
    await fakes.provider.stop();
    await fakes.model.stop();
    await postgres.stop();
  }
}

// Bounded: a run that hangs past its own budget is a failure too.
const budgetMs = (SECONDS + DRAIN_S + 180) * 1000;
setTimeout(() => {
  console.error(`soak: still running after ${budgetMs / 1000} s; giving up`);
  process.exit(2);
}, budgetMs).unref();
await main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
