import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeadLetterRepo } from '../src/db/dead-letter.repo.js';
import { listMigrations } from '../src/db/migrator.js';
import { createReadinessCheck } from '../src/services/readiness.service.js';
import { startTestService, TEST_ADMIN_TOKEN, type TestService } from './helpers/service.js';

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
});
afterAll(async () => {
  await t.stop();
});

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

describe('health', () => {
  it('answers /healthz while the process is alive', async () => {
    const response = await t.service.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok' });
  });

  it('reports ready with each check on /readyz', async () => {
    const response = await t.service.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'ready',
      checks: { database: { ok: true }, migrations: { ok: true }, queue: { ok: true } },
    });
  });

  it('exposes Prometheus metrics', async () => {
    await t.service.app.inject({ method: 'GET', url: '/healthz' });
    const response = await t.service.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain(
      'http_request_duration_seconds_count{method="GET",route="/healthz",status_code="200"}',
    );
    expect(response.body).toContain('process_cpu_user_seconds_total');
  });
});

describe('correlation ids', () => {
  it('returns the caller x-request-id and logs every line of the request with it', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/admin/dead-letters',
      headers: { 'x-request-id': 'corr-42', ...admin },
    });
    expect(response.headers['x-request-id']).toBe('corr-42');
    const lines = t.logs.filter((line) => line.requestId === 'corr-42');
    expect(lines.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
  });

  it('generates one when absent or unsafe', async () => {
    const plain = await t.service.app.inject({ method: 'GET', url: '/healthz' });
    expect(plain.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await t.service.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'bad id\n{"level":"fatal"}' },
    });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('bad input', () => {
  it('answers malformed JSON with 400 and a JSON error naming the problem', async () => {
    const response = await t.service.app.inject({
      method: 'POST',
      url: '/admin/dead-letters/1/requeue',
      headers: { 'content-type': 'application/json', ...admin },
      payload: '{"oops":',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'BODY_INVALID_JSON',
      message: 'request body is not valid JSON',
    });
    expect(response.json().requestId).toBe(response.headers['x-request-id']);
  });

  it('answers an oversized body with 413', async () => {
    const response = await t.service.app.inject({
      method: 'POST',
      url: '/admin/dead-letters/1/requeue',
      headers: { 'content-type': 'application/json', ...admin },
      payload: JSON.stringify({ blob: 'x'.repeat(1024 * 1024 + 1) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('BODY_TOO_LARGE');
  });

  it('answers an unsupported content type with 415', async () => {
    const response = await t.service.app.inject({
      method: 'POST',
      url: '/admin/dead-letters/1/requeue',
      headers: { 'content-type': 'application/xml', ...admin },
      payload: '<a/>',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers an unknown route with 404 in JSON', async () => {
    const response = await t.service.app.inject({ method: 'GET', url: '/nope?token=secret' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'NOT_FOUND', message: 'no route for GET /nope' });
    expect(JSON.stringify(t.logs)).not.toContain('token=secret');
  });

  it('answers invalid parameters with 400 naming the field', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/admin/dead-letters?limit=0',
      headers: admin,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(response.json().message).toContain('limit');
  });
});

describe('admin API', () => {
  it('rejects a missing or wrong token with 401', async () => {
    const none = await t.service.app.inject({ method: 'GET', url: '/admin/dead-letters' });
    expect(none.statusCode).toBe(401);
    const wrong = await t.service.app.inject({
      method: 'GET',
      url: '/admin/dead-letters',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().message).toContain('ADMIN_TOKEN');
  });

  it('lists dead letters and requeues one once', async () => {
    await createDeadLetterRepo(t.service.pool).record({
      sourceJobId: '00000000-0000-4000-8000-000000000001',
      queue: 'unknown-queue',
      payload: { leadId: 1 },
      error: 'PipeRun answered 422',
      correlationId: 'c-1',
    });
    const list = await t.service.app.inject({ method: 'GET', url: '/admin/dead-letters', headers: admin });
    expect(list.statusCode).toBe(200);
    const [letter] = list.json().deadLetters;
    expect(letter).toMatchObject({
      queue: 'unknown-queue',
      error: 'PipeRun answered 422',
      payload: { leadId: 1 },
    });

    // This build runs no queue of that name: refused, and the letter stays open for later.
    const refused = await t.service.app.inject({
      method: 'POST',
      url: `/admin/dead-letters/${letter.id}/requeue`,
      headers: admin,
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toContain('unknown-queue');
    const after = await t.service.app.inject({ method: 'GET', url: '/admin/dead-letters', headers: admin });
    expect(after.json().deadLetters).toHaveLength(1);

    const missing = await t.service.app.inject({
      method: 'POST',
      url: '/admin/dead-letters/999999/requeue',
      headers: admin,
    });
    expect(missing.statusCode).toBe(404);
  });
});

describe('readiness failures', () => {
  it('names the database check when the database is unreachable', async () => {
    const other = await startTestService();
    await other.db.drop();
    const response = await other.service.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    const body = response.json();
    expect(body.status).toBe('not_ready');
    expect(body.checks.database.ok).toBe(false);
    expect(body.checks.database.detail).toContain('DATABASE_URL');
    expect(body.checks.migrations.ok).toBe(false);
    await other.service.stop().catch(() => undefined);
  });

  it('lists the migrations not applied yet', async () => {
    const migrations = [
      ...(await listMigrations()),
      { version: '29990101000000', name: 'future', file: 'future.sql' },
    ];
    const readiness = createReadinessCheck({
      pool: t.service.pool,
      migrations,
      isQueueRunning: () => true,
      isShuttingDown: () => false,
    });
    const result = await readiness.check();
    expect(result.ready).toBe(false);
    expect(result.checks.migrations).toMatchObject({ ok: false, pending: ['29990101000000'] });
    expect(result.checks.database.ok).toBe(true);
  });
});
