import { existsSync } from 'node:fs';
import { z } from 'zod';
import { LEAD_ORIGINS } from './domain/bot-flags.js';
import { WHATSAPP_PROVIDER_NAMES } from './integrations/whatsapp/types.js';

/**
 * Every setting of the service, parsed once from the environment. Variable names are a
 * contract with operators, tests and benchmarks (DESIGN.md, "Configuration contract").
 */

// An empty variable (`FOO=` in a .env file or compose) means "unset", not "empty string".
const blank = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const text = () => z.preprocess(blank, z.string().trim().optional());
const url = (what: string) =>
  z.preprocess(
    blank,
    z
      .string()
      .trim()
      .refine(
        (v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol),
        `must be an http(s) URL (${what})`,
      )
      .transform((v) => v.replace(/\/+$/, ''))
      .optional(),
  );
const int = (min: number, max: number) =>
  z.preprocess(
    blank,
    z
      .string()
      .trim()
      .refine((v) => /^-?\d+$/.test(v) && Number(v) >= min && Number(v) <= max, {
        message: `must be an integer from ${min} to ${max}`,
      })
      .transform(Number)
      .optional(),
  );
const id = () => int(1, Number.MAX_SAFE_INTEGER);
const bool = () =>
  z.preprocess(
    blank,
    z
      .string()
      .trim()
      .toLowerCase()
      .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
      .transform((v) => ['true', '1', 'yes'].includes(v))
      .optional(),
  );

/** Comma-separated values, each trimmed; blank means unset. An explicit empty list is a mistake. */
const list = <T extends z.ZodType<string, string>>(item: T) =>
  z.preprocess(
    blank,
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((value) => value.trim())
          .filter(Boolean),
      )
      .pipe(z.array(item).min(1, 'must list at least one value, or be left unset'))
      .optional(),
  );

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  PORT: int(0, 65535),
  HOST: text(),
  LOG_LEVEL: z.preprocess(blank, z.enum(LOG_LEVELS).optional()),
  DATABASE_URL: z.preprocess(
    blank,
    z
      .string()
      .trim()
      .refine(
        (v) => /^postgres(ql)?:\/\/.+/.test(v) && URL.canParse(v),
        'must be a postgres:// connection string',
      )
      .optional(),
  ),
  DATABASE_POOL_MAX: int(1, 200),
  DATABASE_CONNECT_TIMEOUT_MS: int(0, 600_000),
  DATA_DIR: text(),
  MESSAGE_BUFFER_MS: int(0, 600_000),
  TURN_TIMEOUT_SECONDS: int(5, 3600),
  JOB_MAINTENANCE_INTERVAL_SECONDS: int(1, 3600),
  RAW_PAYLOAD_RETENTION_DAYS: int(1, 3650),
  WHATSAPP_MAX_SENDS_PER_MINUTE: int(1, 100_000),
  WHATSAPP_SEND_TIMEOUT_MS: int(100, 120_000),
  WHATSAPP_BREAKER_RESET_SECONDS: int(1, 3600),
  SHUTDOWN_TIMEOUT_MS: int(1000, 120_000),
  ADMIN_TOKEN: z.preprocess(blank, z.string().min(16, 'must be at least 16 characters').optional()),
  WHATSAPP_PROVIDER: z.preprocess(blank, z.enum(WHATSAPP_PROVIDER_NAMES).optional()),
  META_APP_SECRET: text(),
  META_VERIFY_TOKEN: text(),
  META_ACCESS_TOKEN: text(),
  META_PHONE_NUMBER_ID: text(),
  META_GRAPH_URL: url('Meta Graph API'),
  ZAPI_BASE_URL: url('Z-API'),
  ZAPI_INSTANCE_ID: text(),
  ZAPI_TOKEN: text(),
  ZAPI_CLIENT_TOKEN: text(),
  ZAPI_WEBHOOK_SECRET: text(),
  EVOLUTION_BASE_URL: url('Evolution API'),
  EVOLUTION_API_KEY: text(),
  EVOLUTION_INSTANCE: text(),
  EVOLUTION_WEBHOOK_SECRET: text(),
  OPENAI_API_KEY: text(),
  OPENAI_BASE_URL: url('OpenAI-compatible API'),
  OPENAI_MODEL: text(),
  OPENAI_TRANSCRIPTION_MODEL: text(),
  OPENAI_TIMEOUT_MS: int(1000, 300_000),
  OPENAI_MAX_RETRIES: int(0, 10),
  OPENAI_BREAKER_RESET_SECONDS: int(1, 3600),
  AUDIO_MAX_BYTES: int(1024, 100 * 1024 * 1024),
  AUDIO_MAX_SECONDS: int(1, 3600),
  AUDIO_DOWNLOAD_TIMEOUT_MS: int(1000, 300_000),
  AUDIO_RETAIN: bool(),
  AGENT_TOOLS_MODE: z.preprocess(blank, z.enum(['stub', 'live']).optional()),
  AGENT_HISTORY_MESSAGES: int(2, 100),
  KNOWLEDGE_DIR: text(),
  PIPERUN_BASE_URL: url('PipeRun API'),
  PIPERUN_TOKEN: text(),
  PIPERUN_PIPELINE_ID: id(),
  PIPERUN_STAGE_ID: id(),
  PIPERUN_ORIGIN_ID: id(),
  PIPERUN_OWNER_ID: id(),
  PIPERUN_TIMEOUT_MS: int(1000, 120_000),
  PIPERUN_MAX_REQUESTS_PER_SECOND: int(1, 100),
  PIPERUN_BREAKER_RESET_SECONDS: int(1, 3600),
  PIPERUN_RETRY_DELAY_MS: int(10, 60_000),
  CHATWOOT_BASE_URL: url('Chatwoot'),
  CHATWOOT_API_TOKEN: text(),
  CHATWOOT_ACCOUNT_ID: id(),
  CHATWOOT_INBOX_ID: id(),
  CHATWOOT_WEBHOOK_TOKEN: text(),
  CHATWOOT_WEBHOOK_SECRET: text(),
  CHATWOOT_MIRROR: bool(),
  CHATWOOT_BOT_USER_ID: id(),
  CHATWOOT_HANDOFF_ASSIGNEE_ID: id(),
  CHATWOOT_HANDOFF_TEAM_ID: id(),
  CHATWOOT_HANDOFF_LABELS: text(),
  CHATWOOT_TIMEOUT_MS: int(1000, 120_000),
  CHATWOOT_BREAKER_RESET_SECONDS: int(1, 3600),
  BOT_RESUME_COMMAND: text(),
  BOT_PAUSE_COMMAND: text(),
  BOT_RESUME_ON_RESOLVE: bool(),
  BOT_AUTO_RESUME_HOURS: int(1, 24 * 30),
  BOT_ENABLED: bool(),
  BOT_ENABLED_INSTANCES: list(z.string()),
  BOT_ENABLED_ORIGINS: list(z.string().toLowerCase().pipe(z.enum(LEAD_ORIGINS))),
  METRICS_ENABLED: bool(),
  RATE_LIMIT_PER_MINUTE: int(0, 100_000_000),
  ADMIN_RATE_LIMIT_PER_MINUTE: int(0, 100_000_000),
});

/** Every variable the service reads, for the check that .env.example documents them all. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);

type Env = z.infer<typeof envSchema>;
type EnvKey = keyof Env;

/** Variables that must be set together: either all of them or none. */
const GROUPS_SET_TOGETHER: { name: string; keys: EnvKey[] }[] = [
  {
    name: 'Chatwoot',
    keys: ['CHATWOOT_BASE_URL', 'CHATWOOT_API_TOKEN', 'CHATWOOT_ACCOUNT_ID', 'CHATWOOT_INBOX_ID'],
  },
];

/** Variables a setting requires: when `when` holds, every key in `keys` must be set. */
const REQUIREMENTS: { when: (env: Env) => boolean; because: string; keys: EnvKey[] }[] = [
  {
    when: (env) => env.WHATSAPP_PROVIDER === 'meta',
    because: 'WHATSAPP_PROVIDER=meta',
    keys: ['META_APP_SECRET', 'META_VERIFY_TOKEN', 'META_ACCESS_TOKEN', 'META_PHONE_NUMBER_ID'],
  },
  {
    when: (env) => env.WHATSAPP_PROVIDER === 'zapi',
    because: 'WHATSAPP_PROVIDER=zapi',
    keys: ['ZAPI_INSTANCE_ID', 'ZAPI_TOKEN', 'ZAPI_WEBHOOK_SECRET'],
  },
  {
    when: (env) => env.WHATSAPP_PROVIDER === 'evolution',
    because: 'WHATSAPP_PROVIDER=evolution',
    keys: ['EVOLUTION_BASE_URL', 'EVOLUTION_API_KEY', 'EVOLUTION_INSTANCE', 'EVOLUTION_WEBHOOK_SECRET'],
  },
  {
    when: (env) => env.PIPERUN_TOKEN !== undefined,
    because: 'PIPERUN_TOKEN is set',
    keys: ['PIPERUN_PIPELINE_ID', 'PIPERUN_STAGE_ID'],
  },
  {
    when: (env) => env.CHATWOOT_API_TOKEN !== undefined,
    because: 'Chatwoot is configured',
    keys: ['CHATWOOT_WEBHOOK_TOKEN'],
  },
];

// Values echoed back in error lines: never a secret or a connection string.
const ECHOABLE = new Set<string>([
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'DATABASE_POOL_MAX',
  'DATABASE_CONNECT_TIMEOUT_MS',
  'MESSAGE_BUFFER_MS',
  'TURN_TIMEOUT_SECONDS',
  'JOB_MAINTENANCE_INTERVAL_SECONDS',
  'RAW_PAYLOAD_RETENTION_DAYS',
  'WHATSAPP_MAX_SENDS_PER_MINUTE',
  'WHATSAPP_SEND_TIMEOUT_MS',
  'SHUTDOWN_TIMEOUT_MS',
  'WHATSAPP_PROVIDER',
  'PIPERUN_PIPELINE_ID',
  'PIPERUN_STAGE_ID',
  'PIPERUN_ORIGIN_ID',
  'PIPERUN_OWNER_ID',
  'CHATWOOT_ACCOUNT_ID',
  'CHATWOOT_INBOX_ID',
  'CHATWOOT_MIRROR',
  'CHATWOOT_BOT_USER_ID',
  'CHATWOOT_HANDOFF_ASSIGNEE_ID',
  'CHATWOOT_HANDOFF_TEAM_ID',
  'CHATWOOT_TIMEOUT_MS',
  'BOT_RESUME_ON_RESOLVE',
  'BOT_AUTO_RESUME_HOURS',
  'BOT_ENABLED',
  'BOT_ENABLED_ORIGINS',
  'METRICS_ENABLED',
  'RATE_LIMIT_PER_MINUTE',
  'ADMIN_RATE_LIMIT_PER_MINUTE',
]);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, string | undefined>): string {
  const key = String(issue.path[0]);
  const value = raw[key];
  const got = value !== undefined && ECHOABLE.has(key) ? ` (got "${value}")` : '';
  const message =
    issue.code === 'invalid_value' ? `must be one of ${issue.values.join(', ')}` : issue.message;
  return `${key} ${message}${got}`;
}

function crossFieldProblems(env: Env): string[] {
  const problems: string[] = [];
  for (const group of GROUPS_SET_TOGETHER) {
    const missing = group.keys.filter((k) => env[k] === undefined);
    if (missing.length > 0 && missing.length < group.keys.length) {
      problems.push(
        `${missing.join(', ')} must be set: ${group.name} needs ${group.keys.join(', ')} together`,
      );
    }
  }
  for (const rule of REQUIREMENTS) {
    if (!rule.when(env)) continue;
    for (const key of rule.keys.filter((k) => env[k] === undefined)) {
      problems.push(`${key} is required when ${rule.because}`);
    }
  }
  return problems;
}

function toConfig(env: Env) {
  return {
    http: { port: env.PORT ?? 3000, host: env.HOST ?? '127.0.0.1' },
    logLevel: env.LOG_LEVEL ?? 'info',
    database: {
      url: env.DATABASE_URL,
      poolMax: env.DATABASE_POOL_MAX ?? 10,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS ?? 30_000,
      dataDir: env.DATA_DIR ?? './data',
    },
    messageBufferMs: env.MESSAGE_BUFFER_MS ?? 15_000,
    // A turn running longer is taken for a crashed worker's and retried (the outbox keeps it exactly-once).
    turnTimeoutSeconds: env.TURN_TIMEOUT_SECONDS ?? 180,
    jobMaintenanceIntervalSeconds: env.JOB_MAINTENANCE_INTERVAL_SECONDS ?? 30,
    rawPayloadRetentionDays: env.RAW_PAYLOAD_RETENTION_DAYS ?? 30,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS ?? 10_000,
    adminToken: env.ADMIN_TOKEN,
    metricsEnabled: env.METRICS_ENABLED ?? true,
    // Requests per minute per client IP, counted in memory by each instance; 0 turns the limit off.
    rateLimit: {
      // Webhooks: Z-API and Evolution deliver from a few addresses and do not all retry a 429, so
      // the limit sits far above a real number's traffic (1000/s) and only blunts a flood.
      webhookPerMinute: env.RATE_LIMIT_PER_MINUTE ?? 60_000,
      adminPerMinute: env.ADMIN_RATE_LIMIT_PER_MINUTE ?? 120,
    },
    whatsapp: {
      provider: env.WHATSAPP_PROVIDER ?? 'console',
      // Sends per minute per WhatsApp number, across all instances: bursts look like spam to WhatsApp.
      maxSendsPerMinute: env.WHATSAPP_MAX_SENDS_PER_MINUTE ?? 20,
      sendTimeoutMs: env.WHATSAPP_SEND_TIMEOUT_MS ?? 15_000,
      // After an outage, how long the open breaker waits before trying the provider again.
      breakerResetMs: (env.WHATSAPP_BREAKER_RESET_SECONDS ?? 30) * 1000,
      meta: {
        appSecret: env.META_APP_SECRET,
        verifyToken: env.META_VERIFY_TOKEN,
        accessToken: env.META_ACCESS_TOKEN,
        phoneNumberId: env.META_PHONE_NUMBER_ID,
        graphUrl: env.META_GRAPH_URL ?? 'https://graph.facebook.com/v21.0',
      },
      zapi: {
        baseUrl: env.ZAPI_BASE_URL ?? 'https://api.z-api.io',
        instanceId: env.ZAPI_INSTANCE_ID,
        token: env.ZAPI_TOKEN,
        clientToken: env.ZAPI_CLIENT_TOKEN,
        webhookSecret: env.ZAPI_WEBHOOK_SECRET,
      },
      evolution: {
        baseUrl: env.EVOLUTION_BASE_URL,
        apiKey: env.EVOLUTION_API_KEY,
        instance: env.EVOLUTION_INSTANCE,
        webhookSecret: env.EVOLUTION_WEBHOOK_SECRET,
      },
    },
    openai: {
      apiKey: env.OPENAI_API_KEY,
      baseUrl: env.OPENAI_BASE_URL,
      model: env.OPENAI_MODEL ?? 'gpt-4o-mini',
      transcriptionModel: env.OPENAI_TRANSCRIPTION_MODEL ?? 'whisper-1',
      timeoutMs: env.OPENAI_TIMEOUT_MS ?? 20_000,
      maxRetries: env.OPENAI_MAX_RETRIES ?? 2,
      // While open, the offline policy answers and voice notes get the ask-to-type reply.
      breakerResetMs: (env.OPENAI_BREAKER_RESET_SECONDS ?? 30) * 1000,
    },
    audio: {
      // WhatsApp caps media at 16 MB.
      maxBytes: env.AUDIO_MAX_BYTES ?? 16 * 1024 * 1024,
      maxSeconds: env.AUDIO_MAX_SECONDS ?? 300,
      downloadTimeoutMs: env.AUDIO_DOWNLOAD_TIMEOUT_MS ?? 30_000,
      // LGPD: voice is personal data; only the transcript is kept unless the operator opts in.
      retain: env.AUDIO_RETAIN ?? false,
    },
    agent: {
      // live: tools write our own tables (lead, quote, company); stub: they only record the intent.
      toolsMode: env.AGENT_TOOLS_MODE ?? 'live',
      // The last N messages go to the model verbatim; older ones live on in the rolling summary.
      historyMessages: env.AGENT_HISTORY_MESSAGES ?? 12,
      knowledgeDir: env.KNOWLEDGE_DIR ?? './knowledge',
    },
    piperun: {
      baseUrl: env.PIPERUN_BASE_URL ?? 'https://api.pipe.run/v1',
      token: env.PIPERUN_TOKEN,
      pipelineId: env.PIPERUN_PIPELINE_ID,
      stageId: env.PIPERUN_STAGE_ID,
      originId: env.PIPERUN_ORIGIN_ID,
      ownerId: env.PIPERUN_OWNER_ID,
      timeoutMs: env.PIPERUN_TIMEOUT_MS ?? 15_000,
      // Not documented by PipeRun; third-party clients keep to about 2 per second per token.
      maxRequestsPerSecond: env.PIPERUN_MAX_REQUESTS_PER_SECOND ?? 2,
      // After an outage, how long the open breaker waits before trying PipeRun again.
      breakerResetMs: (env.PIPERUN_BREAKER_RESET_SECONDS ?? 30) * 1000,
      // First of the quick retries inside a call (doubling, with jitter); longer waits are the queue's.
      minRetryDelayMs: env.PIPERUN_RETRY_DELAY_MS ?? 500,
    },
    chatwoot: {
      baseUrl: env.CHATWOOT_BASE_URL,
      apiToken: env.CHATWOOT_API_TOKEN,
      accountId: env.CHATWOOT_ACCOUNT_ID,
      inboxId: env.CHATWOOT_INBOX_ID,
      webhookToken: env.CHATWOOT_WEBHOOK_TOKEN,
      webhookSecret: env.CHATWOOT_WEBHOOK_SECRET,
      // Off when the WhatsApp provider already mirrors into Chatwoot (Evolution's integration).
      mirror: env.CHATWOOT_MIRROR ?? true,
      // The user whose API token we post with: its messages echoed back are ours, never a human's.
      botUserId: env.CHATWOOT_BOT_USER_ID,
      handoffAssigneeId: env.CHATWOOT_HANDOFF_ASSIGNEE_ID,
      handoffTeamId: env.CHATWOOT_HANDOFF_TEAM_ID,
      handoffLabels: (env.CHATWOOT_HANDOFF_LABELS ?? 'lead-quente')
        .split(',')
        .map((label) => label.trim())
        .filter(Boolean),
      timeoutMs: env.CHATWOOT_TIMEOUT_MS ?? 10_000,
      breakerResetMs: (env.CHATWOOT_BREAKER_RESET_SECONDS ?? 30) * 1000,
    },
    bot: {
      resumeCommand: env.BOT_RESUME_COMMAND ?? '/bot on',
      pauseCommand: env.BOT_PAUSE_COMMAND ?? '/bot off',
      // Resolving the conversation in Chatwoot gives the next contact back to the bot.
      resumeOnResolve: env.BOT_RESUME_ON_RESOLVE ?? true,
      autoResumeHours: env.BOT_AUTO_RESUME_HOURS,
    },
    // Rollout and rollback: who the bot answers. Everyone else's messages are still stored and mirrored.
    botFlags: {
      enabled: env.BOT_ENABLED ?? true,
      // Unset: every instance, every origin.
      instances: env.BOT_ENABLED_INSTANCES ?? null,
      origins: env.BOT_ENABLED_ORIGINS ?? null,
    },
  };
}

export type Config = ReturnType<typeof toConfig>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Parses the environment; throws a ConfigError listing one problem per line. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => describeIssue(issue, env)));
  }
  const problems = crossFieldProblems(parsed.data);
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(toConfig(parsed.data));
}

/**
 * For entry points: reads `.env` when present (variables already set win), then parses.
 * A bad value prints one line per problem, with no stack trace, and exits with code 1.
 */
export function loadConfigOrExit(envFile = '.env'): Config {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`Invalid configuration: ${problem}\n`);
    process.exit(1);
  }
}
