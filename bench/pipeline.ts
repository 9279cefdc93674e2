import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { metaText, phoneFor, signMeta } from '../tests/factories.js';
import { createFakeOpenAI } from '../tests/fakes/openai.js';
import { createFakeWhatsAppProvider, type FakeWhatsAppProvider } from '../tests/fakes/whatsapp-provider.js';
import { providerEnv } from '../tests/helpers/pipeline.js';
import {
  type BenchPostgres,
  percentile,
  positiveEnv,
  startBenchPostgres,
  startServiceProcess,
} from './harness.js';
import { type BenchResult, emitResults, formatTable, isQuick, result } from './report.js';

/**
 * `npm run bench:pipeline`: whole turns through the real service (`src/main.ts` in its own
 * process, real Postgres, pg-boss, the Meta webhook, the outbox) with a zero-latency fake model,
 * so the figure is the pipeline's own capacity. Each of N leads writes, waits for the bot's
 * answer at the fake provider, and writes again; turns/s counts answers that arrived within the
 * measured window. Baseline: the same run with the offline policy (no OPENAI_API_KEY), which
 * makes no model calls. Reported, not judged: no issue sets a target for it yet.
 */
const BENCH = 'pipeline';
const CONVERSATIONS = positiveEnv('BENCH_CONVERSATIONS', isQuick() ? 20 : 50);
const DURATION_S = positiveEnv('BENCH_DURATION_S', isQuick() ? 5 : 20);
// The burst window would otherwise dominate (15 s by default): 0 measures what the pipeline
// can do once a turn is due, which is what the window's length does not change.
const BUFFER_MS = Number(process.env.BENCH_BUFFER_MS ?? 0);
// A lead the agent closed or handed off gets no answer: its driver stops instead of hanging.
const REPLY_TIMEOUT_MS = 15_000;
const WATCH_INTERVAL_MS = 5;

type Mode = 'llm' | 'offline';
type Measured = { turnsPerS: number; p50: number; p99: number; silent: number; notes: string[] };

const LEAD_LINES = [
  'Bom dia, estou procurando uma envasadora para molhos',
  'Hoje enchemos tudo manualmente, umas 2 mil unidades por dia',
  'Os frascos são de vidro, 300 ml e 500 ml',
  'Vocês atendem o interior de Minas Gerais?',
  'Nosso galpão tem energia trifásica 380 V',
  'Quanto tempo leva a instalação?',
];

/** Resolves each lead's wait when the fake provider records a send to that lead. */
function createReplyWatcher(provider: FakeWhatsAppProvider) {
  let cursor = 0;
  const counts = new Map<string, number>();
  const waiters = new Map<string, { atLeast: number; resolve: (ok: boolean) => void }>();
  const timer = setInterval(() => {
    for (; cursor < provider.sends.length; cursor++) {
      const to = provider.sends[cursor]?.to ?? '';
      counts.set(to, (counts.get(to) ?? 0) + 1);
      const waiter = waiters.get(to);
      if (waiter && (counts.get(to) ?? 0) >= waiter.atLeast) {
        waiters.delete(to);
        waiter.resolve(true);
      }
    }
  }, WATCH_INTERVAL_MS);
  return {
    count: (phone: string) => counts.get(phone) ?? 0,
    /** True once `phone` has received `atLeast` sends in all; false after REPLY_TIMEOUT_MS. */
    waitFor(phone: string, atLeast: number): Promise<boolean> {
      if ((counts.get(phone) ?? 0) >= atLeast) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timeout = setTimeout(() => {
          waiters.delete(phone);
          resolve(false);
        }, REPLY_TIMEOUT_MS);
        waiters.set(phone, {
          atLeast,
          resolve: (ok) => {
            clearTimeout(timeout);
            resolve(ok);
          },
        });
      });
    },
    stop: () => clearInterval(timer),
  };
}

async function postLeadMessage(baseUrl: string, phone: string, turn: number): Promise<void> {
  const text = `${LEAD_LINES[turn % LEAD_LINES.length]} (${turn})`;
  const body = JSON.stringify(metaText({ phone, text, messageId: `wamid.BENCHPIPE${phone}T${turn}` }));
  const response = await fetch(`${baseUrl}/webhooks/whatsapp/meta`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMeta(body) },
    body,
  });
  await response.arrayBuffer();
  if (response.status >= 300) throw new Error(`webhook answered ${response.status}`);
}

type Lead = { phone: string; turn: number; isSilent: boolean };

/** One lead's turn: write, then wait for the answer. Returns the latency, or undefined if none came. */
async function converse(baseUrl: string, watcher: ReturnType<typeof createReplyWatcher>, lead: Lead) {
  const expected = watcher.count(lead.phone) + 1;
  const startedAt = performance.now();
  await postLeadMessage(baseUrl, lead.phone, lead.turn++);
  const isAnswered = await watcher.waitFor(lead.phone, expected);
  if (!isAnswered) lead.isSilent = true;
  return isAnswered ? performance.now() - startedAt : undefined;
}

async function turnCounts(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from turns group by status order by status',
    );
    return rows.map((r) => `${r.status} ${r.n}`).join(', ');
  } finally {
    await client.end();
  }
}

type RunContext = { postgres: BenchPostgres; provider: FakeWhatsAppProvider; openaiUrl: string };

async function runMode(mode: Mode, { postgres, provider, openaiUrl }: RunContext): Promise<Measured> {
  const database = await postgres.createDatabase('bench_pipeline');
  const urls = await provider.start();
  const llm = { OPENAI_API_KEY: 'sk-test-fake', OPENAI_BASE_URL: openaiUrl, OPENAI_MAX_RETRIES: '0' };
  const service = await startServiceProcess({
    DATABASE_URL: database.url,
    ...providerEnv('meta', urls),
    MESSAGE_BUFFER_MS: String(BUFFER_MS),
    ...(mode === 'llm' ? llm : {}),
  });
  const watcher = createReplyWatcher(provider);
  try {
    const leads: Lead[] = Array.from({ length: CONVERSATIONS }, (_, i) => ({
      phone: phoneFor(i),
      turn: 0,
      isSilent: false,
    }));
    // First turns create leads and conversations, and warm the JIT: not the steady state.
    await Promise.all(leads.map((lead) => converse(service.url, watcher, lead)));
    const latencies: number[] = [];
    const endsAt = performance.now() + DURATION_S * 1000;
    let turns = 0;
    await Promise.all(
      leads.map(async (lead) => {
        while (!lead.isSilent && performance.now() < endsAt) {
          const latency = await converse(service.url, watcher, lead);
          if (latency !== undefined && performance.now() <= endsAt) {
            turns++;
            latencies.push(latency);
          }
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const silent = leads.filter((lead) => lead.isSilent).length;
    return {
      turnsPerS: turns / DURATION_S,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      silent,
      notes: [
        `${mode}: ${turns} turns in ${DURATION_S} s; turns by status: ${await turnCounts(database.url)}`,
      ],
    };
  } finally {
    watcher.stop();
    await service.stop();
    await provider.stop();
    await database.drop();
  }
}

async function main() {
  const postgres = await startBenchPostgres();
  const provider = createFakeWhatsAppProvider();
  const openai = createFakeOpenAI();
  const { baseUrl: openaiUrl } = await openai.start();
  try {
    console.log(
      `pipeline: ${CONVERSATIONS} leads in a closed loop for ${DURATION_S} s after one warm-up turn each; ` +
        `MESSAGE_BUFFER_MS=${BUFFER_MS}; ${postgres.describe}`,
    );
    const context = { postgres, provider, openaiUrl };
    const offline = await runMode('offline', context);
    await sleep(500);
    const requestsBefore = openai.chatRequests().length;
    const withLlm = await runMode('llm', context);
    const chatCalls = openai.chatRequests().length - requestsBefore;
    const notes = [...offline.notes, ...withLlm.notes, `llm: ${chatCalls} chat completion calls in all`];
    for (const [mode, measured] of [
      ['offline', offline],
      ['llm', withLlm],
    ] as const) {
      if (measured.silent > 0) notes.push(`${mode}: ${measured.silent} leads got no answer and stopped`);
    }
    const baselineIs = 'the same pipeline with the offline policy (no OPENAI_API_KEY, no model calls)';
    const results: BenchResult[] = [
      result({
        bench: BENCH,
        figure: 'pipeline turns/s, zero-latency fake LLM',
        value: withLlm.turnsPerS,
        unit: 'turns/s',
        baseline: offline.turnsPerS,
        baselineIs,
      }),
      result({
        bench: BENCH,
        figure: 'pipeline turn p99, webhook to send',
        value: withLlm.p99,
        unit: 'ms',
        baseline: offline.p99,
        baselineIs,
      }),
    ];
    console.log(
      [
        `offline: ${offline.turnsPerS.toFixed(1)} turns/s, p50 ${offline.p50.toFixed(0)} ms, p99 ${offline.p99.toFixed(0)} ms`,
        `llm:     ${withLlm.turnsPerS.toFixed(1)} turns/s, p50 ${withLlm.p50.toFixed(0)} ms, p99 ${withLlm.p99.toFixed(0)} ms`,
        ...notes,
        '',
        formatTable(results),
      ].join('\n'),
    );
    emitResults(results);
  } finally {
    await openai.stop();
    await postgres.stop();
  }
}

await main();
