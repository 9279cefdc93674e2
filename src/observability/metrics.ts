import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { createScrapedGauge } from './scraped-gauge.js';

/** Outcomes of a call to an outside system, the same for every system. */
export type CallOutcome = 'ok' | 'error' | 'circuit_open';
/** Systems behind a circuit breaker and counted in integration_calls_total. */
export type IntegrationSystem = 'whatsapp' | 'llm' | 'transcription' | 'piperun' | 'chatwoot';
export type CallCounter = { inc(labels: { operation: string; outcome: CallOutcome }): void };

/** One registry per app instance, so tests can build several apps in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const jobsProcessed = new Counter({
    name: 'jobs_processed_total',
    help: 'Queue jobs handled, by queue and outcome (completed, failed); dead letters are dead_letters_total',
    labelNames: ['queue', 'outcome'] as const,
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: 'job_duration_seconds',
    help: 'Queue job handler duration by queue',
    labelNames: ['queue'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  });
  const jobWait = new Histogram({
    name: 'job_wait_seconds',
    help: 'Time from when a job was due (created, or its start_after) to when a worker took it, by queue',
    labelNames: ['queue'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const queueDepth = createScrapedGauge({
    name: 'job_queue_depth',
    help: 'Jobs per queue and state (waiting: due now; deferred: start_after or retry backoff ahead; active), read at scrape time',
    labelNames: ['queue', 'state'] as const,
    registry,
  });
  const deadLetters = new Counter({
    name: 'dead_letters_total',
    help: 'Jobs that exhausted their retries and were recorded in dead_letters, by queue',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const ready = new Gauge({
    name: 'service_ready',
    help: '1 when the last readiness check passed, 0 otherwise',
    registers: [registry],
  });

  const webhookEvents = new Counter({
    name: 'webhook_events_total',
    help: 'Webhook events by provider (meta, zapi, evolution, console, chatwoot, unknown) and outcome (accepted, duplicate, ignored; rejected counts a refused request once)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  });
  const eventsIgnored = new Counter({
    name: 'whatsapp_events_ignored_total',
    help: 'WhatsApp webhook events recorded as ignored, by provider and reason',
    labelNames: ['provider', 'reason'] as const,
    registers: [registry],
  });
  const humanTakeovers = new Counter({
    name: 'human_takeovers_total',
    help: 'Conversations paused because a human answered, by signal',
    labelNames: ['signal'] as const,
    registers: [registry],
  });
  const turns = new Counter({
    name: 'conversation_turns_total',
    help: 'Agent turns by outcome (replied, no_reply, folded, silenced)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const turnDuration = new Histogram({
    name: 'conversation_turn_duration_seconds',
    help: 'Whole turn from the lead messages taken to the reply committed (transcription, agent, guardrails), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80],
    registers: [registry],
  });
  const handoffs = new Counter({
    name: 'handoffs_total',
    help: 'Hot leads handed to a human, by step (decided: the agent handed the lead off; chatwoot: note, labels and assignment done in Chatwoot)',
    labelNames: ['step'] as const,
    registers: [registry],
  });
  const leadsByTemperature = createScrapedGauge({
    name: 'leads_by_temperature',
    help: 'Leads per temperature (quente, morno, frio, unscored), read at scrape time',
    labelNames: ['temperature'] as const,
    registry,
  });
  const agentDuration = new Histogram({
    name: 'agent_reply_duration_seconds',
    help: 'Time the agent took to produce a reply',
    labelNames: ['agent'] as const,
    buckets: [0.01, 0.1, 0.5, 1, 2, 5, 10, 20, 40],
    registers: [registry],
  });
  const repliesSent = new Counter({
    name: 'whatsapp_replies_sent_total',
    help: 'Reply parts accepted by the WhatsApp provider',
    labelNames: ['provider'] as const,
    registers: [registry],
  });
  const sendDuration = new Histogram({
    name: 'whatsapp_send_duration_seconds',
    help: 'Provider send call duration, retries included',
    labelNames: ['provider'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const sendFailures = new Counter({
    name: 'whatsapp_send_failures_total',
    help: 'Provider send failures after in-call retries, by provider and whether they are retryable',
    labelNames: ['provider', 'retryable'] as const,
    registers: [registry],
  });
  const outboxUncertain = new Counter({
    name: 'whatsapp_outbox_uncertain_total',
    help: 'Reply parts in flight when a worker died, not resent: check them (GET /admin/outbox?status=uncertain)',
    labelNames: ['provider'] as const,
    registers: [registry],
  });

  const guardrailHits = new Counter({
    name: 'agent_guardrail_hits_total',
    help: 'Replies blocked by a guardrail (commercial_terms, too_many_questions) and replaced',
    labelNames: ['rule'] as const,
    registers: [registry],
  });

  const llmCalls = new Counter({
    name: 'llm_calls_total',
    help: 'LLM calls by purpose (reply, regenerate, summary, transcription) and outcome (ok, error, circuit_open)',
    labelNames: ['purpose', 'outcome'] as const,
    registers: [registry],
  });

  const llmTokens = new Counter({
    name: 'llm_tokens_total',
    help: 'Tokens reported by the LLM, by kind (prompt, completion)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });

  const llmDuration = new Histogram({
    name: 'llm_call_duration_seconds',
    help: 'LLM call latency, retries included',
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers: [registry],
  });

  const llmCircuitOpen = new Gauge({
    name: 'llm_circuit_open',
    help: '1 while the LLM circuit breaker is open (the offline policy answers)',
    registers: [registry],
  });

  const agentFallbacks = new Counter({
    name: 'agent_offline_fallbacks_total',
    help: 'Turns answered by the offline policy although an LLM is configured, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });

  const toolCalls = new Counter({
    name: 'agent_tool_calls_total',
    help: 'Tool calls by the model, by tool and outcome (ok, invalid, error)',
    labelNames: ['tool', 'outcome'] as const,
    registers: [registry],
  });

  const integrationCalls = new Counter({
    name: 'integration_calls_total',
    help: 'Calls to outside systems (whatsapp, llm, transcription, piperun, chatwoot) by operation and outcome (ok, error, circuit_open), after in-call retries',
    labelNames: ['system', 'operation', 'outcome'] as const,
    registers: [registry],
  });
  /** The counter as one system's clients take it: they know their operation and outcome, not their system name. */
  const callsOf = (system: IntegrationSystem): CallCounter => ({
    inc: (labels) => integrationCalls.inc({ system, ...labels }),
  });

  const breakerProbes = new Map<IntegrationSystem, () => boolean>();
  new Gauge({
    name: 'circuit_breaker_open',
    help: '1 while the circuit breaker of a system is open (calls fail fast), 0 while closed; read at scrape time',
    labelNames: ['system'] as const,
    registers: [registry],
    collect() {
      for (const [system, isOpen] of breakerProbes) this.set({ system }, isOpen() ? 1 : 0);
    },
  });
  /** Registers a client's breaker for circuit_breaker_open; the state is read at each scrape. */
  const watchBreaker = (system: IntegrationSystem, isOpen: () => boolean): void => {
    breakerProbes.set(system, isOpen);
  };

  const crmCircuitOpen = new Gauge({
    name: 'piperun_circuit_open',
    help: '1 while the PipeRun circuit breaker is open (CRM syncs wait and retry)',
    registers: [registry],
  });

  const voiceNotes = new Counter({
    name: 'voice_notes_total',
    help: 'Voice notes by outcome: transcribed, or why not (too_large, unsupported_type, too_long, …)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  return {
    registry,
    integrationCalls,
    callsOf,
    watchBreaker,
    queueDepth,
    leadsByTemperature,
    jobWait,
    turnDuration,
    handoffs,
    voiceNotes,
    crmCircuitOpen,
    guardrailHits,
    llmCalls,
    llmTokens,
    llmDuration,
    llmCircuitOpen,
    agentFallbacks,
    toolCalls,
    httpRequestDuration,
    jobsProcessed,
    jobDuration,
    deadLetters,
    ready,
    webhookEvents,
    eventsIgnored,
    humanTakeovers,
    turns,
    agentDuration,
    repliesSent,
    sendDuration,
    sendFailures,
    outboxUncertain,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
