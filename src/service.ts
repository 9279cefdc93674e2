import type { FastifyInstance } from 'fastify';
import pRetry from 'p-retry';
import type { ConversationAgent } from './agents/agent.js';
import { loadSystemPrompt } from './agents/llm/prompt.js';
import { createQualificationAgent } from './agents/qualification.agent.js';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './db/embedded.js';
import { createInboundEventRepo } from './db/inbound-event.repo.js';
import { createJobQueue, type JobQueue, queueSchemaInstaller } from './db/job-queue.js';
import { createLeadRepo } from './db/lead.repo.js';
import { listMigrations, migrate } from './db/migrator.js';
import { createPool, type Pool } from './db/pool.js';
import { describeRestrictions } from './domain/bot-flags.js';
import { createChatwootClient } from './integrations/chatwoot/client.js';
import { createLlmClient } from './integrations/openai/chat-client.js';
import { createTranscriptionClient } from './integrations/openai/transcription-client.js';
import { createPipeRunClient } from './integrations/piperun/client.js';
import { createWhatsAppClient } from './integrations/whatsapp/create-client.js';
import { DEFAULT_RESILIENCE, withResilience } from './integrations/whatsapp/resilient-client.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createAdminQueries } from './services/admin-queries.service.js';
import {
  CHATWOOT_EVENT_QUEUE,
  type ChatwootEventJob,
  type ChatwootEvents,
  createChatwootEvents,
} from './services/chatwoot-events.service.js';
import {
  CHATWOOT_MIRROR_QUEUE,
  type ChatwootMirror,
  type ChatwootMirrorJob,
  createChatwootMirror,
} from './services/chatwoot-mirror.service.js';
import {
  type ConversationControl,
  createConversationControl,
} from './services/conversation-control.service.js';
import { createConversationTurn, TURN_QUEUE, type TurnJob } from './services/conversation-turn.service.js';
import { CRM_SYNC_QUEUE, type CrmSync, type CrmSyncJob, createCrmSync } from './services/crm-sync.service.js';
import { createDeadLetterService } from './services/dead-letter.service.js';
import {
  createInboundProcessor,
  INBOUND_EVENT_QUEUE,
  type InboundEventJob,
  type InboundProcessor,
} from './services/inbound-processor.service.js';
import { createIngestService } from './services/ingest.service.js';
import { createIngestPressure } from './services/ingest-pressure.js';
import { loadProductCatalogue, syncKnowledge } from './services/knowledge.service.js';
import { createOutboxSender } from './services/outbox-sender.service.js';
import { createReadinessCheck } from './services/readiness.service.js';
import { createVoiceNotes } from './services/voice-note.service.js';

/**
 * Builds the whole service from its configuration: database, migrations, job queue, HTTP app.
 * `main.ts` listens and handles signals; tests call this with a config of their own.
 */
export type Service = {
  app: FastifyInstance;
  pool: Pool;
  queue: JobQueue;
  metrics: Metrics;
  inbound: InboundProcessor;
  /** Stops accepting requests, drains in-flight requests and jobs, then closes the database. */
  stop: () => Promise<void>;
};

// In compose and Kubernetes the app can start before Postgres accepts connections: retry
// connection errors for DATABASE_CONNECT_TIMEOUT_MS before giving up.
const RETRYABLE_CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', '57P03']);

function describeTarget(connectionString: string): string {
  const url = new URL(connectionString);
  const host = url.searchParams.get('host') ?? url.hostname;
  return `${host}${url.port ? `:${url.port}` : ''}${url.pathname}`;
}

type WaitSettings = { pool: Pool; connectionString: string; budgetMs: number; log: Logger };

async function waitForDatabase({ pool, connectionString, budgetMs, log }: WaitSettings): Promise<void> {
  await pRetry(() => pool.query('select 1'), {
    retries: budgetMs > 0 ? 1000 : 0,
    maxRetryTime: budgetMs,
    minTimeout: 250,
    maxTimeout: 5000,
    shouldRetry: ({ error }) => RETRYABLE_CONNECT_CODES.has((error as NodeJS.ErrnoException).code ?? ''),
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft > 0) {
        log.warn(
          { target: describeTarget(connectionString), attemptNumber, err: error },
          'database not reachable yet',
        );
      }
    },
  }).catch((error: Error) => {
    throw new Error(
      `cannot reach the database at ${describeTarget(connectionString)} (${error.message}): ` +
        'check DATABASE_URL and that Postgres accepts connections',
      { cause: error },
    );
  });
}

/** Parts a test may replace; production uses the defaults. */
export type ServiceOverrides = { agent?: ConversationAgent };

const AUTO_RESUME_QUEUE = 'bot-auto-resume';
const RAW_RETENTION_QUEUE = 'inbound-raw-retention';
// Daily, at a quiet hour for Brazil (03:17 UTC is 00:17 in Brasília).
const RAW_RETENTION_CRON = '17 3 * * *';
const TURN_CONCURRENCY = 4;
// Far above any real number's traffic: only a redelivery storm or a load test gets here.
const WEBHOOK_FLOOD_PER_SECOND = 1000;

function registerJobs(
  queue: JobQueue,
  deps: {
    config: Config;
    pool: Pool;
    turn: ReturnType<typeof createConversationTurn>;
    inbound: InboundProcessor;
    crmSync: CrmSync;
    chatwootEvents: ChatwootEvents;
    chatwootMirror: ChatwootMirror | undefined;
    control: ConversationControl;
    log: Logger;
  },
) {
  queue.register<ChatwootEventJob>({
    name: CHATWOOT_EVENT_QUEUE,
    retryLimit: 5,
    pollingIntervalSeconds: 0.5,
    handler: (job, ctx) => deps.chatwootEvents.run(job, ctx.log),
  });
  if (deps.chatwootMirror) {
    const mirror = deps.chatwootMirror;
    queue.register<ChatwootMirrorJob>({
      name: CHATWOOT_MIRROR_QUEUE,
      // One queued and one running per conversation: messages go to Chatwoot in order, once.
      policy: 'stately',
      retryLimit: 10,
      pollingIntervalSeconds: 0.5,
      retryDelaySeconds: 5,
      retryBackoff: true,
      handler: (job, ctx) => mirror.run(job, ctx),
    });
  }
  const autoResumeHours = deps.config.bot.autoResumeHours;
  if (autoResumeHours) {
    queue.register<Record<string, never>>({
      name: AUTO_RESUME_QUEUE,
      cron: '*/5 * * * *',
      retryLimit: 1,
      handler: async (_job, ctx) => {
        const resumed = await deps.control.autoResume(autoResumeHours);
        if (resumed > 0)
          ctx.log.info({ resumed, hours: autoResumeHours }, 'quiet conversations given back to the bot');
      },
    });
  }
  queue.register<CrmSyncJob>({
    name: CRM_SYNC_QUEUE,
    // One waiting sync per lead; a running one resumes from its checkpoint anyway.
    policy: 'short',
    // PipeRun outages can last: about an hour of backoff before the dead letter.
    retryLimit: 10,
    retryDelaySeconds: 5,
    retryBackoff: true,
    handler: (job, ctx) => deps.crmSync.run(job, ctx),
  });
  queue.register<TurnJob>({
    name: TURN_QUEUE,
    // 'short' dedupes waiting turns per conversation; exclusion while one runs is the conversation lease.
    policy: 'short',
    retryLimit: 8,
    retryDelaySeconds: 5,
    retryBackoff: true,
    // Just past the conversation lease, so a crashed worker's turn is retried soon after its lease ends.
    expireInSeconds: deps.config.turnTimeoutSeconds + 5,
    concurrency: TURN_CONCURRENCY,
    pollingIntervalSeconds: 0.5,
    handler: (job, ctx) => deps.turn.run(job, ctx),
  });
  queue.register<InboundEventJob>({
    name: INBOUND_EVENT_QUEUE,
    retryLimit: 3,
    handler: async ({ eventId }) => {
      await deps.inbound.reopen(eventId);
      deps.inbound.nudge();
    },
  });
  queue.register<Record<string, never>>({
    name: RAW_RETENTION_QUEUE,
    cron: RAW_RETENTION_CRON,
    retryLimit: 3,
    handler: async (_job, ctx) => {
      const purged = await createInboundEventRepo(deps.pool).purgeRaw(deps.config.rawPayloadRetentionDays);
      ctx.log.info(
        { purged, retentionDays: deps.config.rawPayloadRetentionDays },
        'raw webhook payloads purged',
      );
    },
  });
}

/** Chatwoot's API when all four CHATWOOT_* connection variables are set (config.ts checks they go together). */
function createChatwoot(config: Config, log: Logger, metrics: Metrics) {
  const { baseUrl, apiToken, accountId, inboxId, timeoutMs, breakerResetMs } = config.chatwoot;
  if (!baseUrl || !apiToken || !accountId || !inboxId) {
    log.info(
      'no Chatwoot credentials: no mirror or handoff; pauses through the admin API and the phone still work',
    );
    return undefined;
  }
  const client = createChatwootClient(
    { baseUrl, apiToken, accountId, inboxId, timeoutMs, breakerResetMs },
    log,
    {
      calls: metrics.callsOf('chatwoot'),
    },
  );
  metrics.watchBreaker('chatwoot', client.isCircuitOpen);
  return client;
}

/** Voice notes are transcribed by the OpenAI audio API when a key is set; otherwise the lead is asked to write. */
function createTranscriber(config: Config, log: Logger, metrics: Metrics) {
  const { apiKey, baseUrl, transcriptionModel, timeoutMs, maxRetries, breakerResetMs } = config.openai;
  if (!apiKey) return undefined;
  const transcriptionCalls = metrics.callsOf('transcription');
  const client = createTranscriptionClient(
    { apiKey, baseUrl, model: transcriptionModel, timeoutMs, maxRetries, breakerResetMs },
    log,
    {
      calls: {
        inc: ({ outcome }) => {
          metrics.llmCalls.inc({ purpose: 'transcription', outcome });
          transcriptionCalls.inc({ operation: 'transcribe', outcome });
        },
      },
    },
  );
  metrics.watchBreaker('transcription', client.isCircuitOpen);
  return client;
}

/** Gauges read from the database when Prometheus scrapes: no bookkeeping on the hot paths. */
function readGaugesAtScrape(
  metrics: Metrics,
  { pool, queue, log }: { pool: Pool; queue: JobQueue; log: Logger },
) {
  metrics.queueDepth.readFrom(
    async () =>
      (await queue.depth()).map(({ queue: name, state, count }) => ({
        labels: { queue: name, state },
        value: count,
      })),
    log,
  );
  metrics.leadsByTemperature.readFrom(
    async () =>
      (await createLeadRepo(pool).countByTemperature()).map(({ temperature, count }) => ({
        labels: { temperature },
        value: count,
      })),
    log,
  );
}

/** The qualification agent as configured: with the model when OPENAI_API_KEY is set. */
async function createAgent({
  config,
  pool,
  metrics,
  log,
}: {
  config: Config;
  pool: Pool;
  metrics: Metrics;
  log: Logger;
}): Promise<ConversationAgent> {
  const catalogue = await loadProductCatalogue(config.agent.knowledgeDir);
  const { apiKey, ...openai } = config.openai;
  const llm = apiKey ? createLlmClient({ apiKey, ...openai }, log, metrics) : undefined;
  if (!llm) log.info('no OPENAI_API_KEY: the offline qualification policy answers');
  else metrics.watchBreaker('llm', llm.isCircuitOpen);
  return createQualificationAgent({
    pool,
    metrics,
    log,
    llm,
    prompt: llm ? loadSystemPrompt() : undefined,
    toolsMode: config.agent.toolsMode,
    historyMessages: config.agent.historyMessages,
    catalogue: catalogue.length > 0 ? catalogue : undefined,
  });
}

export async function startService(
  config: Config,
  log: Logger,
  overrides: ServiceOverrides = {},
): Promise<Service> {
  let embedded: EmbeddedPostgres | undefined;
  if (!config.database.url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.database.dataDir, log });
    log.warn(
      'no DATABASE_URL: using the embedded database (one instance only; set DATABASE_URL for production)',
    );
  }
  const connectionString = config.database.url ?? (embedded as EmbeddedPostgres).connectionString;
  // PGlite has a single backend: one connection, shared by the app and the job queue.
  const pool = createPool({ connectionString, max: embedded ? 1 : config.database.poolMax, log });
  let shuttingDown = false;
  const metrics = createMetrics();
  const queue = createJobQueue({
    pool,
    log,
    metrics,
    maintenanceIntervalSeconds: config.jobMaintenanceIntervalSeconds,
  });
  const client = withResilience(createWhatsAppClient(config.whatsapp, log), log, {
    ...DEFAULT_RESILIENCE,
    breakerResetMs: config.whatsapp.breakerResetMs,
  });
  const { token: piperunToken, ...piperun } = config.piperun;
  const crmClient = piperunToken
    ? createPipeRunClient({ ...piperun, token: piperunToken }, log, {
        calls: metrics.callsOf('piperun'),
        circuitOpen: metrics.crmCircuitOpen,
      })
    : undefined;
  metrics.watchBreaker('whatsapp', client.isCircuitOpen);
  if (crmClient) metrics.watchBreaker('piperun', crmClient.isCircuitOpen);
  readGaugesAtScrape(metrics, { pool, queue, log });
  if (!crmClient) log.info('no PIPERUN_TOKEN: CRM sync records what it would send (stub)');
  const crmSync = createCrmSync({ pool, queue, client: crmClient, settings: piperun, metrics });
  const control = createConversationControl({ pool, metrics });
  const chatwootEvents = createChatwootEvents({
    pool,
    queue,
    control,
    settings: { ...config.bot, botUserId: config.chatwoot.botUserId },
  });
  const chatwootClient = createChatwoot(config, log, metrics);
  const chatwootMirror = chatwootClient
    ? createChatwootMirror({
        pool,
        queue,
        client: chatwootClient,
        control,
        settings: config.chatwoot,
        metrics,
      })
    : undefined;
  const pressure = createIngestPressure({ floodPerSecond: WEBHOOK_FLOOD_PER_SECOND });
  const inbound = createInboundProcessor({
    pool,
    queue,
    metrics,
    log,
    pressure,
    bufferMs: config.messageBufferMs,
    // The SDR sees the lead's message at once, not after the burst window and the bot's answer.
    onLeadMessage:
      chatwootMirror && config.chatwoot.mirror
        ? (conversationId, tx) => chatwootMirror.enqueue(conversationId, { tx })
        : undefined,
  });
  const restriction = describeRestrictions(config.botFlags);
  if (restriction) log.warn({ botFlags: config.botFlags }, restriction);
  const turn = createConversationTurn({
    pool,
    queue,
    agent: overrides.agent ?? (await createAgent({ config, pool, metrics, log })),
    outbox: createOutboxSender({
      pool,
      client,
      metrics,
      maxSendsPerMinute: config.whatsapp.maxSendsPerMinute,
    }),
    metrics,
    maxTextLength: client.maxTextLength,
    leaseSeconds: config.turnTimeoutSeconds,
    flags: config.botFlags,
    onLeadReady: (leadId, correlationId) => crmSync.enqueue(leadId, { correlationId }),
    onActivity: chatwootMirror
      ? (conversationId, correlationId) => chatwootMirror.enqueue(conversationId, { correlationId })
      : undefined,
    voiceNotes: createVoiceNotes({
      pool,
      client,
      transcriber: createTranscriber(config, log, metrics),
      settings: config.audio,
      metrics,
      log,
    }),
  });
  registerJobs(queue, { config, pool, turn, inbound, crmSync, chatwootEvents, chatwootMirror, control, log });

  let app: FastifyInstance;
  try {
    await waitForDatabase({ pool, connectionString, budgetMs: config.database.connectTimeoutMs, log });
    await migrate({ pool, log, installers: [queueSchemaInstaller] });
    await syncKnowledge(pool, config.agent.knowledgeDir, log);
    await queue.start();
    inbound.start();
    const readiness = createReadinessCheck({
      pool,
      migrations: await listMigrations(),
      isQueueRunning: queue.isRunning,
      isShuttingDown: () => shuttingDown,
    });
    app = await buildApp({
      config,
      log,
      metrics,
      readiness,
      deadLetters: createDeadLetterService({ pool, queue }),
      ingest: createIngestService({
        pool,
        metrics,
        onAccepted: () => {
          pressure.mark();
          inbound.nudge();
        },
      }),
      crmSync,
      control,
      chatwootEvents,
      adminQueries: createAdminQueries({ pool }),
    });
  } catch (error) {
    await inbound.stop().catch(() => undefined);
    await queue.stop({ timeoutMs: 1000 }).catch(() => undefined);
    await pool.end().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }

  async function stop(): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    const startedAt = Date.now();
    await app.close();
    // The inbound processor's last batch enqueues turns: it finishes before the queue closes.
    await inbound.stop();
    await queue.stop({ timeoutMs: config.shutdownTimeoutMs });
    await client.close?.();
    await crmClient?.close();
    await chatwootClient?.close();
    await pool.end();
    await embedded?.stop();
    log.info({ durationMs: Date.now() - startedAt }, 'service stopped');
  }

  return { app, pool, queue, metrics, inbound, stop };
}
