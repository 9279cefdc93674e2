import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Pool } from 'undici';
import { metaText, phoneFor, signMeta } from '../tests/factories.js';
import { createFakeWhatsAppProvider } from '../tests/fakes/whatsapp-provider.js';
import { providerEnv } from '../tests/helpers/pipeline.js';
import { waitFor } from '../tests/helpers/wait.js';
import { positiveEnv, sampleRss, startBenchPostgres, startServiceProcess } from './harness.js';
import { type BenchResult, emitResults, formatTable, isQuick, result } from './report.js';

/**
 * `npm run bench:memory`: the service's resident memory with many idle conversations against
 * the same service idle with none. The conversations come in through the Meta webhook (one
 * message each, a lead each) and the event processor stores them; the burst window outlasts the
 * run, so each one's turn waits as a delayed job in Postgres. The design keeps nothing per
 * conversation in memory (the buffer is a database deadline, not a timer), so RSS should stay
 * near the baseline. Reported, not judged: no issue sets a target for it yet.
 */
const BENCH = 'memory';
const CONVERSATIONS = positiveEnv('BENCH_CONVERSATIONS', isQuick() ? 2_000 : 10_000);
const SETTLE_MS = positiveEnv('BENCH_SETTLE_S', isQuick() ? 3 : 10) * 1000;
const CONNECTIONS = 20;
const MB = 1024 * 1024;
// The processor stores ~100 conversations/s on a busy 2-core machine: allow a fifth of that.
const STORE_TIMEOUT_MS = Math.max(120_000, CONVERSATIONS * 50);

/** Posts one first message per lead, CONNECTIONS at a time. */
async function createConversations(baseUrl: string): Promise<number> {
  const pool = new Pool(baseUrl, { connections: CONNECTIONS });
  let next = 0;
  let rejected = 0;
  const worker = async () => {
    while (next < CONVERSATIONS) {
      const i = next++;
      const phone = phoneFor(100_000 + i);
      const body = JSON.stringify(
        metaText({ phone, text: `Quero um orçamento (${i})`, messageId: `wamid.IDLE${i}` }),
      );
      const { statusCode, body: answer } = await pool.request({
        method: 'POST',
        path: '/webhooks/whatsapp/meta',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMeta(body) },
        body,
      });
      await answer.dump();
      if (statusCode >= 300) rejected++;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  await pool.close();
  return rejected;
}

async function countConversations(db: pg.Client) {
  const { rows } = await db.query<{ conversations: number; pending: number }>(
    `select (select count(*)::int from conversations) as conversations,
       (select count(*)::int from inbound_events where processed_at is null) as pending`,
  );
  return rows[0] ?? { conversations: 0, pending: 0 };
}

const GC_PRELOAD = new URL('./gc-on-signal.mjs', import.meta.url).href;

/**
 * The V8 heap the service reports on /metrics, after a full collection (SIGUSR2 to the preload):
 * tells retained objects from RSS the allocator keeps, and from garbage not yet collected.
 */
async function heapUsedBytes(baseUrl: string, pid: number): Promise<number> {
  process.kill(pid, 'SIGUSR2');
  await sleep(500);
  const response = await fetch(`${baseUrl}/metrics`);
  const text = await response.text();
  if (!response.ok) return Number.NaN;
  return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? Number.NaN);
}

async function main() {
  const postgres = await startBenchPostgres();
  const provider = createFakeWhatsAppProvider();
  const urls = await provider.start();
  const database = await postgres.createDatabase('bench_memory');
  const service = await startServiceProcess(
    {
      DATABASE_URL: database.url,
      ...providerEnv('meta', urls),
      // Turns would start and answer; this measures conversations at rest, so none is due.
      MESSAGE_BUFFER_MS: '600000',
    },
    { nodeArgs: ['--expose-gc', '--import', GC_PRELOAD] },
  );
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  try {
    const pid = service.proc.child.pid as number;
    await sleep(SETTLE_MS);
    const idleRss = await sampleRss(pid);
    const idleHeap = await heapUsedBytes(service.url, pid);
    console.log(
      `idle service, no conversations: RSS ${(idleRss / MB).toFixed(1)} MB, heap ${(idleHeap / MB).toFixed(1)} MB`,
    );

    const startedAt = performance.now();
    const rejected = await createConversations(service.url);
    const stored = await waitFor(
      async () => {
        const counts = await countConversations(db);
        return counts.pending === 0 && counts.conversations >= CONVERSATIONS - rejected ? counts : undefined;
      },
      {
        timeoutMs: STORE_TIMEOUT_MS,
        intervalMs: 500,
        what: 'the event processor to store every conversation',
      },
    );
    console.log(
      `${stored.conversations} conversations stored in ${((performance.now() - startedAt) / 1000).toFixed(1)} s` +
        (rejected > 0 ? `, ${rejected} webhook calls rejected` : ''),
    );
    // Let pg-boss's and the processor's post-burst work finish before sampling.
    await sleep(SETTLE_MS);
    const busyRss = await sampleRss(pid);
    const busyHeap = await heapUsedBytes(service.url, pid);
    const perConversationKb = (busyRss - idleRss) / 1024 / Math.max(1, stored.conversations);
    console.log(
      `with ${stored.conversations} idle conversations: RSS ${(busyRss / MB).toFixed(1)} MB, ` +
        `heap ${(busyHeap / MB).toFixed(1)} MB (${perConversationKb.toFixed(2)} KB RSS per conversation)`,
    );
    const label = `${stored.conversations.toLocaleString('en-US')} idle conversations`;
    const results: BenchResult[] = [
      result({
        bench: BENCH,
        figure: `RSS with ${label}`,
        value: busyRss / MB,
        unit: 'MB',
        baseline: idleRss / MB,
        baselineIs: 'RSS of the same service, ready and idle, with no conversations',
      }),
      result({
        bench: BENCH,
        figure: `V8 heap used with ${label}`,
        value: busyHeap / MB,
        unit: 'MB',
        baseline: idleHeap / MB,
        baselineIs: 'heap used of the same service with no conversations (/metrics, after a full GC)',
      }),
    ];
    console.log(`\n${formatTable(results)}`);
    emitResults(results);
  } finally {
    await db.end();
    await service.stop();
    await provider.stop();
    await database.drop();
    await postgres.stop();
  }
}

await main();
