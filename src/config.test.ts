import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs with no variables at all, on the documented defaults', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ port: 3000, host: '127.0.0.1' });
    expect(config.logLevel).toBe('info');
    expect(config.database).toEqual({
      url: undefined,
      poolMax: 10,
      connectTimeoutMs: 30_000,
      dataDir: './data',
    });
    expect(config.messageBufferMs).toBe(15_000);
    expect(config.adminToken).toBeUndefined();
    expect(config.whatsapp.provider).toBe('console');
    expect(config.whatsapp.meta.graphUrl).toBe('https://graph.facebook.com/v21.0');
    expect(config.whatsapp.zapi.baseUrl).toBe('https://api.z-api.io');
    expect(config.piperun.baseUrl).toBe('https://api.pipe.run/v1');
    expect(config.openai.apiKey).toBeUndefined();
    expect(config.bot).toEqual({
      resumeCommand: '/bot on',
      pauseCommand: '/bot off',
      resumeOnResolve: true,
      autoResumeHours: undefined,
    });
  });

  it('names the variable and what it expects when a number is malformed', () => {
    expect(problemsOf({ PORT: 'abc' })).toEqual(['PORT must be an integer from 0 to 65535 (got "abc")']);
    expect(problemsOf({ MESSAGE_BUFFER_MS: '-5' })).toEqual([
      'MESSAGE_BUFFER_MS must be an integer from 0 to 600000 (got "-5")',
    ]);
  });

  it('lists every problem, one per line', () => {
    const problems = problemsOf({ PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    expect(problems).toHaveLength(3);
    expect(problems).toContain(
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    );
    expect(problems).toContain('DATABASE_URL must be a postgres:// connection string');
  });

  it('never echoes a secret value back in an error', () => {
    const problems = problemsOf({ ADMIN_TOKEN: 'short-secret' });
    expect(problems).toEqual(['ADMIN_TOKEN must be at least 16 characters']);
    expect(problems.join()).not.toContain('short-secret');
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '  ', OPENAI_API_KEY: '' });
    expect(config.http.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.openai.apiKey).toBeUndefined();
  });

  it('requires the chosen WhatsApp provider credentials together', () => {
    expect(problemsOf({ WHATSAPP_PROVIDER: 'zapi', ZAPI_INSTANCE_ID: 'abc' })).toEqual([
      'ZAPI_TOKEN is required when WHATSAPP_PROVIDER=zapi',
      'ZAPI_WEBHOOK_SECRET is required when WHATSAPP_PROVIDER=zapi',
    ]);
    expect(problemsOf({ WHATSAPP_PROVIDER: 'meta' })).toHaveLength(4);
    expect(problemsOf({ WHATSAPP_PROVIDER: 'telegram' })[0]).toMatch(
      /^WHATSAPP_PROVIDER must be one of meta, zapi/,
    );
  });

  it('requires Chatwoot settings as a group and PipeRun ids with its token', () => {
    expect(problemsOf({ CHATWOOT_BASE_URL: 'https://chat.example.com' })[0]).toMatch(
      /^CHATWOOT_API_TOKEN, CHATWOOT_ACCOUNT_ID, CHATWOOT_INBOX_ID must be set/,
    );
    expect(problemsOf({ PIPERUN_TOKEN: 't' })).toEqual([
      'PIPERUN_PIPELINE_ID is required when PIPERUN_TOKEN is set',
      'PIPERUN_STAGE_ID is required when PIPERUN_TOKEN is set',
    ]);
  });

  it('rejects a base URL that is not http(s) and trims trailing slashes', () => {
    expect(problemsOf({ PIPERUN_BASE_URL: 'ftp://x' })[0]).toMatch(
      /^PIPERUN_BASE_URL must be an http\(s\) URL/,
    );
    expect(loadConfig({ PIPERUN_BASE_URL: 'http://127.0.0.1:9000/v1/' }).piperun.baseUrl).toBe(
      'http://127.0.0.1:9000/v1',
    );
  });

  it('returns a frozen configuration', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
  });
});

describe('bot feature flags', () => {
  it('answers everyone by default', () => {
    expect(loadConfig({}).botFlags).toEqual({ enabled: true, instances: null, origins: null });
  });

  it('reads the kill switch through the boolean parser', () => {
    expect(loadConfig({ BOT_ENABLED: 'false' }).botFlags.enabled).toBe(false);
    expect(loadConfig({ BOT_ENABLED: ' NO ' }).botFlags.enabled).toBe(false);
    expect(loadConfig({ BOT_ENABLED: '1' }).botFlags.enabled).toBe(true);
    expect(problemsOf({ BOT_ENABLED: 'off' })).toEqual(['BOT_ENABLED must be true or false (got "off")']);
  });

  it('trims comma lists, drops empty items and keeps instance ids as written', () => {
    const config = loadConfig({
      BOT_ENABLED_INSTANCES: ' loja-centro , 109876543210987,,',
      BOT_ENABLED_ORIGINS: 'AD, organic ',
    });
    expect(config.botFlags.instances).toEqual(['loja-centro', '109876543210987']);
    expect(config.botFlags.origins).toEqual(['ad', 'organic']);
    expect(loadConfig({ BOT_ENABLED_INSTANCES: '', BOT_ENABLED_ORIGINS: ' ' }).botFlags).toMatchObject({
      instances: null,
      origins: null,
    });
  });

  it('rejects an unknown origin and a list with nothing in it', () => {
    expect(problemsOf({ BOT_ENABLED_ORIGINS: 'ad,facebook' })).toEqual([
      'BOT_ENABLED_ORIGINS must be one of ad, organic, unknown (got "ad,facebook")',
    ]);
    expect(problemsOf({ BOT_ENABLED_INSTANCES: ',' })).toEqual([
      'BOT_ENABLED_INSTANCES must list at least one value, or be left unset',
    ]);
  });

  it('documents every flag in .env.example', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const name of ['BOT_ENABLED', 'BOT_ENABLED_INSTANCES', 'BOT_ENABLED_ORIGINS']) {
      expect(example).toMatch(new RegExp(`^${name}=`, 'm'));
    }
    // The example's own values must load.
    const values = Object.fromEntries(
      example
        .split('\n')
        .filter((line) => line.startsWith('BOT_ENABLED'))
        .map((line) => line.split('=') as [string, string]),
    );
    expect(loadConfig(values).botFlags).toEqual({ enabled: true, instances: null, origins: null });
  });
});

describe('.env.example', () => {
  const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');

  it('documents every variable the service reads', () => {
    // HOST stays commented out: set, it would bind the example's value instead of the safe default.
    const documented = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(CONFIG_VARIABLES.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('loads as it stands', () => {
    const values = Object.fromEntries(
      example
        .split('\n')
        .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(() => loadConfig(values)).not.toThrow();
  });
});

describe('rate limits', () => {
  it('limits webhooks and the admin API per client by default, and 0 turns a limit off', () => {
    expect(loadConfig({}).rateLimit).toEqual({ webhookPerMinute: 60_000, adminPerMinute: 120 });
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '0', ADMIN_RATE_LIMIT_PER_MINUTE: '0' }).rateLimit).toEqual({
      webhookPerMinute: 0,
      adminPerMinute: 0,
    });
    expect(problemsOf({ RATE_LIMIT_PER_MINUTE: '-1' })).toEqual([
      'RATE_LIMIT_PER_MINUTE must be an integer from 0 to 100000000 (got "-1")',
    ]);
  });

  it('documents both limits in .env.example with their defaults', () => {
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    expect(example).toMatch(/^RATE_LIMIT_PER_MINUTE=60000$/m);
    expect(example).toMatch(/^ADMIN_RATE_LIMIT_PER_MINUTE=120$/m);
  });
});
