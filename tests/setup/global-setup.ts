import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { queueSchemaInstaller } from '../../src/db/job-queue.js';
import { migrate } from '../../src/db/migrator.js';
import { createPool } from '../../src/db/pool.js';
import { createLogger } from '../../src/observability/logger.js';
import { startTestPostgres, type TestPostgres } from './postgres-server.js';

export const TEMPLATE_DATABASE = 'seleto_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Migrates a template database once; every test file clones it (a file copy, milliseconds). */
async function buildTemplate(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
  await admin.query(`create database ${TEMPLATE_DATABASE}`);
  await admin.end();

  const log = createLogger({ level: 'warn' });
  const pool = createPool({ connectionString: databaseUrl(adminUrl, TEMPLATE_DATABASE), max: 2, log });
  // The job queue's own schema too, so each test's start-up skips it.
  await migrate({ pool, log, installers: [queueSchemaInstaller] });
  await pool.end();
}

let server: TestPostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startTestPostgres();
  await buildTemplate(server.adminUrl);
  project.provide('pgAdminUrl', server.adminUrl);
  project.provide('pgTemplate', TEMPLATE_DATABASE);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
