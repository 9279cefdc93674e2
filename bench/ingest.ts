import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import pg from 'pg';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';
import { startService } from '../src/service.js';
import { META_APP_SECRET, META_PHONE_NUMBER_ID, metaText, phoneFor, signMeta } from '../tests/factories.js';
import { startTestPostgres } from '../tests/setup/postgres-server.js';
import { emitResults, result } from './report.js';

/**
 * `npm run bench:ingest`: the Meta webhook of the real service against a floor (bare Fastify doing
 * the same single `insert … on conflict do nothing`), on one Postgres, with the same signed bodies.
 * Each server runs in its own child process (this file, BENCH_ROLE set) so autocannon, in this
 * process, does not share an event loop with what it measures. A measurement: FAIL lines exit 0.
 */
type Target = 'webhook' | 'floor';
type Payload = { id: string; body: Buffer; signature: string };
type Measured = { rps: number; p50: number; p99: number; errors: number; non2xx: number };
type Row = Measured & { target: Target; phase: string };

const positive = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const DURATION_S = positive('BENCH_DURATION_S', 10);
const CONNECTIONS = positive('BENCH_CONNECTIONS', 50);
const RATE_RPS = positive('BENCH_RATE', 500);
const POOL_MAX = positive('DATABASE_POOL_MAX', 10); // the service's default; the floor gets the same
const WARMUP_S = 2;
const DUPLICATE_SHARE = 0.2;
// Enough fresh ids for one target's whole run at up to 12k req/s (STACK.md: the floor does ~10k),
// so duplicates stay at 20% instead of every body coming round again.
const PAYLOADS = positive('BENCH_PAYLOADS', (WARMUP_S + DURATION_S) * 12_000 + RATE_RPS * DURATION_S);
const DRAIN_TIMEOUT_MS = positive('BENCH_DRAIN_S', 30) * 1000;
const PROFILE_DIR = path.join(tmpdir(), 'seleto-bench-profiles');
const TARGET_RATIO = 0.7;
const TARGET_P99_MS = 15;
const PATHS: Record<Target, string> = { webhook: '/webhooks/whatsapp/meta', floor: '/floor' };

/** Signed bodies built up front; a redelivery repeats a recent message byte for byte, as Meta's retries do. */
function buildSequence(length: number): Payload[] {
  let seed = 42; // Park-Miller: the same interleaving of redeliveries on every run
  const random = () => {
    seed = (seed * 48_271) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  const fresh: Payload[] = [];
  const sequence: Payload[] = [];
  for (let i = 0; i < length; i++) {
    const earlier = fresh[fresh.length - 1 - Math.floor(random() * Math.min(fresh.length, 1000))];
    if (earlier && random() < DUPLICATE_SHARE) {
      sequence.push(earlier);
      continue;
    }
    const id = `wamid.BENCH${String(i).padStart(9, '0')}`;
    const message = metaText({ phone: phoneFor(fresh.length), text: `Orçamento ${i}`, messageId: id });
    const body = Buffer.from(JSON.stringify(message));
    const payload = { id, body, signature: signMeta(body) };
    fresh.push(payload);
    sequence.push(payload);
  }
  return sequence;
}

/** One cursor shared by every connection and phase of a target: each request takes the next body. */
function createFeeder(sequence: Payload[]) {
  let cursor = 0;
  const acknowledged = new Set<string>();
  return {
    next: () => sequence[cursor++ % sequence.length] as Payload,
    acknowledged,
    sentIds: () => new Set(sequence.slice(0, Math.min(cursor, sequence.length)).map((p) => p.id)),
    hasWrapped: () => cursor > sequence.length,
  };
}
type Feeder = ReturnType<typeof createFeeder>;
type Load = { url: string; path: string; feeder: Feeder; durationS: number };

const headersOf = (p: Payload) => ({
  'content-type': 'application/json',
  'x-hub-signature-256': p.signature,
});

/** Closed loop: CONNECTIONS connections, each sending its next request as soon as one answers. */
async function runAutocannon({ url, path, feeder, durationS }: Load, rate?: number): Promise<Measured> {
  const request: autocannon.Request = {
    method: 'POST',
    path,
    setupRequest: (req, context) => {
      const payload = feeder.next();
      (context as { id?: string }).id = payload.id;
      return { ...req, body: payload.body, headers: { ...req.headers, ...headersOf(payload) } };
    },
    // With pipelining 1 the context still holds this response's request (autocannon's requestIterator).
    onResponse: (status, _body, context) => {
      const { id } = context as { id?: string };
      if (status >= 200 && status < 300 && id) feeder.acknowledged.add(id);
    },
  };
  // autocannon's coordinated-omission correction takes 1/rate s as 1 ms (9.0.0, run.js): it would
  // add a synthetic sample per millisecond of every response, so it is off for the burst phase.
  const limit = rate ? { overallRate: rate, ignoreCoordinatedOmission: true } : {};
  const options = { url, connections: CONNECTIONS, duration: durationS, requests: [request], ...limit };
  const { requests, latency, errors, non2xx } = await autocannon(options);
  return { rps: requests.average, p50: latency.p50, p99: latency.p99, errors, non2xx };
}

/**
 * Open loop at a steady rate: a request every 1000/rate ms whether or not earlier ones have
 * answered. autocannon's overallRate is not that: each connection sends its quota for the second
 * back to back when the second starts, so "500 req/s" arrives as one burst of 500 per second.
 */
async function runPaced({ url, path, feeder, durationS }: Load, rate: number): Promise<Measured> {
  const pool = new Pool(url, { connections: CONNECTIONS });
  const latencies: number[] = [];
  const outcome = { errors: 0, non2xx: 0 };
  const requests: Promise<void>[] = [];
  const startedAt = performance.now();
  for (let i = 0; i < durationS * rate; i++) {
    const wait = startedAt + (i * 1000) / rate - performance.now();
    if (wait >= 1) await sleep(wait);
    const payload = feeder.next();
    // Timed from the send, so timer jitter here is not charged to the server; undici's queueing is.
    const sentAt = performance.now();
    const sent = pool.request({ method: 'POST', path, headers: headersOf(payload), body: payload.body });
    const done = sent.then(
      async ({ statusCode, body }) => {
        await body.dump();
        latencies.push(performance.now() - sentAt);
        if (statusCode >= 200 && statusCode < 300) feeder.acknowledged.add(payload.id);
        else outcome.non2xx++;
      },
      () => void outcome.errors++,
    );
    requests.push(done);
  }
  await Promise.all(requests);
  const elapsedS = (performance.now() - startedAt) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.max(0, Math.ceil(q * latencies.length) - 1)] ?? Number.NaN;
  return { rps: latencies.length / elapsedS, p50: at(0.5), p99: at(0.99), ...outcome };
}

// ---- the servers (child processes) ----

type Server = { port: number; stop: () => Promise<void>; pid?: number };

// ---- where the CPU goes (Linux /proc; elsewhere the note is skipped) ----

const TICK_US = 10_000; // USER_HZ is 100 on Linux

/** user + system CPU ticks of one process. */
function cpuTicks(pid: number | string): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU ticks of every postgres process: the benchmark's server is the only one running. */
function postgresTicks(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') ticks += cpuTicks(pid);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return ticks;
}

/** CPU per request of the server, Postgres and the load generator over `run`. */
async function withCpuAccount<T extends Measured>(server: Server, durationS: number, run: () => Promise<T>) {
  if (!server.pid || process.platform !== 'linux') return { measured: await run(), cpu: undefined };
  const before = { server: cpuTicks(server.pid), postgres: postgresTicks(), load: process.cpuUsage() };
  const measured = await run();
  const load = process.cpuUsage(before.load);
  const requests = Math.max(1, measured.rps * durationS);
  const perRequest = (us: number) => `${(us / requests).toFixed(0)} µs`;
  const cpu =
    `server ${perRequest((cpuTicks(server.pid) - before.server) * TICK_US)}, ` +
    `Postgres ${perRequest((postgresTicks() - before.postgres) * TICK_US)}, ` +
    `load generator ${perRequest(load.user + load.system)}`;
  return { measured, cpu };
}

async function serveWebhook(databaseUrl: string): Promise<Server> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: String(POOL_MAX),
    PORT: '0',
    LOG_LEVEL: 'warn', // logging every request would measure pino
    WHATSAPP_PROVIDER: 'meta',
    META_APP_SECRET,
    META_VERIFY_TOKEN: 'bench-verify-token',
    META_ACCESS_TOKEN: 'bench-access-token',
    META_PHONE_NUMBER_ID,
    META_GRAPH_URL: 'http://127.0.0.1:9', // closed: nothing is sent during the run
    // Turns would start 15 s after a lead's message and answer through the agent; they are not
    // ingest, so the burst window outlasts the run and only the event processor works alongside.
    MESSAGE_BUFFER_MS: '600000',
    RATE_LIMIT_PER_MINUTE: '100000000', // the limiter stays in the path, far above ~10k req/s from one IP
  });
  const service = await startService(config, createLogger({ level: config.logLevel }));
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  return { port: portOf(service.app.server.address()), stop: service.stop };
}

async function serveFloor(databaseUrl: string): Promise<Server> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL_MAX });
  const app = Fastify();
  app.post<{ Body: ReturnType<typeof metaText> }>(PATHS.floor, async (request) => {
    const messageId = request.body.entry[0]?.changes[0]?.value.messages[0]?.id ?? null;
    await pool.query(
      `insert into bench_floor (provider, instance_id, message_id, raw) values ($1, $2, $3, $4)
       on conflict do nothing`,
      ['meta', META_PHONE_NUMBER_ID, messageId, request.body],
    );
    return { status: 'accepted' };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: portOf(app.server.address()), stop: () => app.close().then(() => pool.end()) };
}

function portOf(address: string | AddressInfo | null): number {
  if (typeof address !== 'object' || !address) throw new Error('server is not listening on a TCP port');
  return address.port;
}

async function runServerRole(role: Target, databaseUrl: string): Promise<void> {
  const server = await (role === 'webhook' ? serveWebhook : serveFloor)(databaseUrl);
  let isStopping = false;
  const stop = () => {
    if (isStopping) return;
    isStopping = true;
    void server.stop().then(() => process.exit(0));
  };
  process.once('message', stop);
  process.once('disconnect', stop); // the bench process died: do not linger on the port
  process.send?.({ port: server.port });
}

/** Starts `role` in a child process; BENCH_CPU_PROF=1 writes its CPU profile under PROFILE_DIR. */
async function startTarget(role: Target, databaseUrl: string): Promise<Server> {
  const profile = process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, BENCH_ROLE: role, BENCH_DATABASE_URL: databaseUrl },
    execArgv: [...process.execArgv, ...profile],
  });
  const exited = once(child, 'exit');
  const ready = await Promise.race([once(child, 'message'), exited.then(() => undefined)]);
  if (!ready) throw new Error(`the ${role} server exited before listening`);
  const stop = async () => {
    if (child.connected) child.send('stop'); // not after Ctrl-C, which reached the child too
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  };
  return { port: (ready[0] as { port: number }).port, stop, pid: child.pid };
}

// ---- the run ----

const PHASES = { paced: `paced ${RATE_RPS}/s`, burst: `burst ${RATE_RPS}/s`, max: `max -c ${CONNECTIONS}` };

async function countPending(db: pg.Pool): Promise<number> {
  const sql = 'select count(*)::int as n from inbound_events where processed_at is null';
  return (await db.query<{ n: number }>(sql)).rows[0]?.n ?? 0;
}

/** Polls until the event processor has applied every recorded event, or the deadline passes. */
async function waitForDrain(db: pg.Pool) {
  const startedAt = Date.now();
  const before = await countPending(db);
  let pending = before;
  while (pending > 0 && Date.now() - startedAt < DRAIN_TIMEOUT_MS) {
    await sleep(250);
    pending = await countPending(db);
  }
  return { pending, applied: before - pending, waitedS: (Date.now() - startedAt) / 1000 };
}

type RunContext = { databaseUrl: string; sequence: Payload[]; db: pg.Pool; notes: string[] };

async function benchTarget(target: Target, { databaseUrl, sequence, db, notes }: RunContext) {
  const server = await startTarget(target, databaseUrl);
  const feeder = createFeeder(sequence);
  const url = `http://127.0.0.1:${server.port}`;
  const load = (durationS: number): Load => ({ url, path: PATHS[target], feeder, durationS });
  // Each phase starts with the webhook's event processor idle rather than working off the previous
  // phase's backlog; the floor has no processor.
  const settle = async (after: string) => {
    if (target !== 'webhook') return;
    const { pending, applied, waitedS } = await waitForDrain(db);
    const rate = `${(applied / Math.max(waitedS, 0.001)).toFixed(0)}/s`;
    const drained = `${applied} backlog events applied in ${waitedS.toFixed(1)} s (${rate})`;
    notes.push(`processor after ${after}: ${drained}, ${pending} pending`);
  };
  try {
    await runAutocannon(load(WARMUP_S));
    await settle('warm-up');
    const paced = await runPaced(load(DURATION_S), RATE_RPS);
    await settle(PHASES.paced);
    const burst = await runAutocannon(load(DURATION_S), RATE_RPS);
    await settle(PHASES.burst);
    const { measured: max, cpu } = await withCpuAccount(server, DURATION_S, () =>
      runAutocannon(load(DURATION_S)),
    );
    if (cpu) notes.push(`${target} CPU per request (${PHASES.max}): ${cpu}`);
    await settle(PHASES.max);
    if (feeder.hasWrapped()) notes.push(`${target}: the bodies came round again; raise BENCH_PAYLOADS`);
    const rows: Row[] = [
      { target, phase: PHASES.paced, ...paced },
      { target, phase: PHASES.burst, ...burst },
      { target, phase: PHASES.max, ...max },
    ];
    return { rows, feeder };
  } finally {
    await server.stop();
  }
}

/** Evidence that nothing accepted was lost and that redeliveries created no rows. */
async function checkIntegrity(db: pg.Pool, feeder: Feeder): Promise<string[]> {
  const sent = feeder.sentIds().size;
  const acknowledged = feeder.acknowledged.size;
  const { rows } = await db.query<{ total: number; missing: number; pending: number }>(
    `select (select count(*)::int from inbound_events) as total,
       (select count(*)::int from unnest($1::text[]) as a(id)
         where not exists (select 1 from inbound_events e where e.message_id = a.id)) as missing,
       (select count(*)::int from inbound_events where processed_at is null) as pending`,
    [[...feeder.acknowledged]],
  );
  const { total = 0, missing = 0, pending = 0 } = rows[0] ?? {};
  // Requests still in flight when autocannon stops may never reach the handler: rows can fall
  // between the ids acknowledged and the ids sent, never outside.
  const isConsistent = acknowledged <= total && total <= sent && missing === 0;
  return [
    `inbound_events rows ${total}; distinct message ids acknowledged ${acknowledged}, sent ${sent}; ` +
      `acknowledged ids missing ${missing}: ${isConsistent ? 'ok, none lost and redeliveries added no rows' : 'INCONSISTENT'}`,
    `events not yet applied by the processor: ${pending}`,
  ];
}

const fmt = (value: number, digits = 1) => value.toFixed(digits).padStart(9);

function report(rows: Row[], notes: string[]) {
  const out = ['', 'target   phase              req/s   p50 ms   p99 ms   errors  non-2xx'];
  for (const r of rows) {
    const figures = [fmt(r.rps, 0), fmt(r.p50), fmt(r.p99), fmt(r.errors, 0), fmt(r.non2xx, 0)];
    out.push(`${r.target.padEnd(8)} ${r.phase.padEnd(15)}${figures.join('')}`);
  }
  const find = (target: Target, phase: string) => rows.find((r) => r.target === target && r.phase === phase);
  const ratio = (find('webhook', PHASES.max)?.rps ?? 0) / (find('floor', PHASES.max)?.rps ?? Number.NaN);
  const p99 = find('webhook', PHASES.paced)?.p99 ?? Number.NaN;
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  out.push(
    '',
    `throughput ratio webhook/floor (${PHASES.max}): ${ratio.toFixed(2)}`,
    `${verdict(ratio >= TARGET_RATIO)} throughput ratio ${ratio.toFixed(2)} >= ${TARGET_RATIO}`,
    `${verdict(p99 <= TARGET_P99_MS)} webhook p99 ${p99.toFixed(1)} ms <= ${TARGET_P99_MS} ms (${PHASES.paced})`,
    '',
    ...notes,
  );
  console.log(out.join('\n'));
  const [webhookMax, floorMax] = [find('webhook', PHASES.max), find('floor', PHASES.max)];
  emitResults([
    result({
      bench: 'ingest',
      figure: 'ingest webhook req/s vs floor',
      value: webhookMax?.rps ?? Number.NaN,
      unit: 'req/s',
      baseline: floorMax?.rps ?? Number.NaN,
      baselineIs: `bare Fastify doing the same insert, same Postgres (${PHASES.max})`,
      check: { on: 'ratio', op: '>=', limit: TARGET_RATIO },
    }),
    result({
      bench: 'ingest',
      figure: `ingest webhook p99 (${PHASES.paced})`,
      value: p99,
      unit: 'ms',
      baseline: find('floor', PHASES.paced)?.p99 ?? Number.NaN,
      baselineIs: `the floor's p99 in the same ${PHASES.paced} phase`,
      check: { on: 'value', op: '<=', limit: TARGET_P99_MS },
    }),
  ]);
}

async function describeServer(admin: pg.Client, describe: string): Promise<string> {
  const { rows } = await admin.query<{ v: string; fsync: string; sc: string }>(
    `select current_setting('server_version') as v, current_setting('fsync') as fsync,
       current_setting('synchronous_commit') as sc`,
  );
  const { v = '?', fsync = '?', sc = '?' } = rows[0] ?? {};
  const caveat = fsync === 'off' ? ' (test server: commits skip the disk flush, not production figures)' : '';
  return `${describe}, PostgreSQL ${v}, fsync=${fsync}, synchronous_commit=${sc}${caveat}`;
}

async function main(): Promise<void> {
  const server = await startTestPostgres();
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  const dbName = `bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${dbName}`);
  const url = new URL(server.adminUrl);
  url.pathname = `/${dbName}`;
  const db = new pg.Pool({ connectionString: url.toString(), max: 2 });
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      await db.end().catch(() => undefined);
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
      await server.stop();
    })();
    return cleaning;
  };
  // Ctrl-C: still drop the database and stop the server this run started.
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));
  try {
    await db.query(`create table bench_floor (id bigint generated always as identity primary key,
      provider text not null, instance_id text not null, message_id text, raw json,
      received_at timestamptz not null default now(), unique (provider, instance_id, message_id))`);
    const sequence = buildSequence(PAYLOADS);
    console.log(
      [
        `ingest benchmark on ${await describeServer(admin, server.describe)}`,
        `loopback; ${availableParallelism()} cores shared by load generator, server and Postgres; ` +
          `${CONNECTIONS} connections; ${DURATION_S} s per phase after a ${WARMUP_S} s warm-up; pool ${POOL_MAX}`,
        `${sequence.length} signed bodies prepared, ${DUPLICATE_SHARE * 100}% of them redeliveries of recent ids`,
      ].join('\n'),
    );
    const notes: string[] = [];
    const context = { databaseUrl: url.toString(), sequence, db, notes };
    const webhook = await benchTarget('webhook', context);
    notes.push(...(await checkIntegrity(db, webhook.feeder)));
    const floor = await benchTarget('floor', context);
    report([...webhook.rows, ...floor.rows], notes);
  } finally {
    await cleanUp();
  }
}

const role = process.env.BENCH_ROLE;
if (role === 'webhook' || role === 'floor') {
  await runServerRole(role, process.env.BENCH_DATABASE_URL ?? '');
} else {
  await main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
