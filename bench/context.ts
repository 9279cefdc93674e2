import type { AgentInput, TranscriptEntry } from '../src/agents/agent.js';
import { loadSystemPrompt } from '../src/agents/llm/prompt.js';
import { createQualificationAgent } from '../src/agents/qualification.agent.js';
import { createMessageRepo } from '../src/db/message.repo.js';
import { migrate } from '../src/db/migrator.js';
import { createPool } from '../src/db/pool.js';
import { createLlmClient } from '../src/integrations/openai/chat-client.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createFakeOpenAI, estimatePromptTokens } from '../tests/fakes/openai.js';
import { startTestPostgres } from '../tests/setup/postgres-server.js';
import { emitResults, result } from './report.js';

/**
 * `npm run bench:context`: a 100-turn scripted conversation through the real qualification agent
 * (real Postgres, the real OpenAI SDK, a zero-latency fake model). Prints the prompt tokens of the
 * reply call at turns 10, 50 and 100 next to a naive baseline that sends the whole history, and
 * the agent's own time per turn (everything but the model's), p50/p99. Targets: turn 100 ≤ 1.3 ×
 * turn 10; overhead p99 ≤ 30 ms. A measurement: FAIL lines exit 0.
 */
const TURNS = Number(process.env.BENCH_TURNS) > 0 ? Number(process.env.BENCH_TURNS) : 100;
const CHECKPOINTS = [10, 50, 100].filter((turn) => turn <= TURNS);
const TARGET_GROWTH = 1.3;
const WARMUP_TURNS = 10;
const TARGET_OVERHEAD_P99_MS = 30;
const BOT_REPLY = 'Entendi! Para adiantarmos, qual o volume de produção que vocês precisam atender por dia?';

/** What a lead might write over a long conversation: details, doubts, small talk. */
function leadMessage(turn: number): string {
  const lines = [
    'Bom dia, estou olhando envasadoras para a nossa fábrica de molhos',
    'Hoje enchemos tudo manualmente e está ficando difícil acompanhar os pedidos',
    'Vocês atendem empresas do interior de Minas Gerais?',
    'A linha precisa trabalhar com frascos de vidro de 300 ml e de 500 ml',
    'Temos dúvidas sobre a limpeza da máquina entre um lote e outro',
    'O pessoal da produção perguntou se precisa de treinamento para operar',
    'Nosso galpão tem energia trifásica 380 V, isso atende?',
    'Também estamos pensando em rotular os frascos na mesma linha no futuro',
  ];
  return `${lines[turn % lines.length]} (mensagem ${turn})`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main() {
  const postgres = await startTestPostgres();
  const database = `bench_context_${process.pid}`;
  const log = createLogger({ level: 'warn' });
  const admin = createPool({ connectionString: postgres.adminUrl, max: 1, log });
  await admin.query(`create database ${database}`);
  const url = new URL(postgres.adminUrl);
  url.pathname = `/${database}`;
  const pool = createPool({ connectionString: url.toString(), max: 4, log });
  const fake = createFakeOpenAI();
  const { baseUrl } = await fake.start();
  try {
    await migrate({ pool, log });
    const metrics = createMetrics();
    const llm = createLlmClient(
      { apiKey: 'sk-test-fake', baseUrl, model: 'gpt-4o-mini', timeoutMs: 10_000, maxRetries: 0 },
      log,
      metrics,
    );
    const prompt = loadSystemPrompt();
    const agent = createQualificationAgent({ pool, metrics, log, llm, prompt, historyMessages: 12 });
    const messages = createMessageRepo(pool);

    /** One scripted conversation, turn by turn, measuring each agent.reply. */
    async function converse(phone: string, turns: number) {
      const lead = await pool.query<{ id: string }>('insert into leads (phone) values ($1) returning id', [
        phone,
      ]);
      const leadId = lead.rows[0]?.id as string;
      const conversation = await pool.query<{ id: string }>(
        `insert into conversations (lead_id, provider, instance_id, chat_id)
         values ($1, 'console', 'bench', $2) returning id`,
        [leadId, phone],
      );
      const conversationId = conversation.rows[0]?.id as string;
      const store = (author: 'lead' | 'bot', text: string, at: Date) =>
        messages.insert({
          conversationId,
          direction: author === 'lead' ? 'inbound' : 'outbound',
          author,
          provider: 'console',
          providerMessageId: null,
          kind: 'text',
          text,
          sentAt: at,
        });
      const transcript: TranscriptEntry[] = [];
      const naive: Array<{ role: string; content: string }> = [{ role: 'system', content: prompt.text }];
      const measured = {
        replyTokens: [] as number[],
        naiveTokens: [] as number[],
        overheads: [] as number[],
      };
      for (let turn = 1; turn <= turns; turn++) {
        const entry: TranscriptEntry = {
          author: 'lead',
          kind: 'text',
          text: leadMessage(turn),
          at: new Date(),
        };
        await store('lead', entry.text as string, entry.at);
        transcript.push(entry);
        naive.push({ role: 'user', content: entry.text as string });
        fake.script({ reply: BOT_REPLY });
        const input: AgentInput = {
          conversationId,
          leadId,
          transcript: transcript.slice(-30),
          newMessages: [entry],
          correlationId: `bench-${turn}`,
        };
        const requestsBefore = fake.chatRequests().length;
        const busyBefore = llm.busyMs();
        const startedAt = performance.now();
        const reply = await agent.reply(input);
        measured.overheads.push(performance.now() - startedAt - (llm.busyMs() - busyBefore));
        const replyRequest = fake
          .chatRequests()
          .slice(requestsBefore)
          .find((request) => request.tools !== undefined);
        measured.replyTokens.push(replyRequest ? estimatePromptTokens(replyRequest) : 0);
        // Same tools as the bounded prompt, so the two differ only in how they carry the history.
        measured.naiveTokens.push(
          estimatePromptTokens({ model: 'naive', messages: naive, tools: replyRequest?.tools } as never),
        );
        const replyText = reply.text ?? '';
        await store('bot', replyText, new Date());
        transcript.push({ author: 'bot', kind: 'text', text: replyText, at: new Date() });
        naive.push({ role: 'assistant', content: replyText });
      }
      return measured;
    }

    // A running service is warm: JIT, prepared plans and schema conversions are not per-turn costs.
    await converse('5511987650998', WARMUP_TURNS);
    const { replyTokens, naiveTokens, overheads } = await converse('5511987650999', TURNS);

    console.log(`\ncontext size: ${TURNS}-turn conversation, prompt tokens of the reply call (chars/4)`);
    console.log('turn   bounded   naive (whole history)');
    for (const turn of CHECKPOINTS) {
      console.log(
        `${String(turn).padStart(4)}   ${String(replyTokens[turn - 1]).padStart(7)}   ${String(naiveTokens[turn - 1]).padStart(7)}`,
      );
    }
    const first = replyTokens[(CHECKPOINTS[0] ?? 1) - 1] ?? 1;
    const last = replyTokens[(CHECKPOINTS.at(-1) ?? 1) - 1] ?? 0;
    const naiveGrowth =
      (naiveTokens[(CHECKPOINTS.at(-1) ?? 1) - 1] ?? 0) / (naiveTokens[(CHECKPOINTS[0] ?? 1) - 1] ?? 1);
    const growth = last / first;
    console.log(
      `growth turn ${CHECKPOINTS.at(-1)} / turn ${CHECKPOINTS[0]}: ${growth.toFixed(2)}× (naive ${naiveGrowth.toFixed(2)}×) ` +
        `target ≤ ${TARGET_GROWTH}× ${growth <= TARGET_GROWTH ? 'PASS' : 'FAIL'}`,
    );
    const sorted = [...overheads].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    console.log(
      `agent overhead per turn (all but the model): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms ` +
        `target p99 ≤ ${TARGET_OVERHEAD_P99_MS} ms ${p99 <= TARGET_OVERHEAD_P99_MS ? 'PASS' : 'FAIL'}`,
    );
    const naiveIs = 'the same prompt carrying the whole history (naive)';
    emitResults([
      ...CHECKPOINTS.map((turn) =>
        result({
          bench: 'context',
          figure: `context tokens at turn ${turn}`,
          value: replyTokens[turn - 1] ?? Number.NaN,
          unit: 'tokens',
          baseline: naiveTokens[turn - 1] ?? Number.NaN,
          baselineIs: naiveIs,
        }),
      ),
      result({
        bench: 'context',
        figure: `context growth turn ${CHECKPOINTS.at(-1)} / turn ${CHECKPOINTS[0]}`,
        value: growth,
        unit: '×',
        baseline: naiveGrowth,
        baselineIs: naiveIs,
        check: { on: 'value', op: '<=', limit: TARGET_GROWTH },
      }),
      result({
        bench: 'context',
        figure: 'agent overhead per turn p99',
        value: p99,
        unit: 'ms',
        check: { on: 'value', op: '<=', limit: TARGET_OVERHEAD_P99_MS },
      }),
    ]);
  } finally {
    await fake.stop();
    await pool.end();
    await admin.query(`drop database if exists ${database}`).catch(() => undefined);
    await admin.end();
    await postgres.stop();
  }
}

await main();
