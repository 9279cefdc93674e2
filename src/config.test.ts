import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

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
