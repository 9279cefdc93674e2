import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/free-port.js';

/**
 * A throwaway PostgreSQL for the test run, in this order: DATABASE_URL when given; the
 * machine's PostgreSQL binaries (initdb + pg_ctl in a temp dir, loopback, random port);
 * testcontainers when a Docker daemon answers.
 */
const run = promisify(execFile);

export type TestPostgres = { adminUrl: string; describe: string; stop: () => Promise<void> };

function findBinDir(): string | undefined {
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv && existsSync(path.join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(root, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

async function startFromBinaries(binDir: string): Promise<TestPostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), 'seleto-pg-'));
  // PostgreSQL refuses to run as root: run it as the `postgres` system user instead.
  const asRoot = process.getuid?.() === 0;
  const asUser = async (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args);
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await chown(dir, uid, gid);
  }
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  await asUser(path.join(binDir, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  // Durability settings off: a test server that loses data on a power cut is fine, and much faster.
  const serverOptions = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=400',
  ].join(' ');
  await asUser(path.join(binDir, 'pg_ctl'), [
    '-D',
    dataDir,
    '-l',
    path.join(dir, 'log'),
    '-w',
    '-o',
    serverOptions,
    'start',
  ]);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    describe: `PostgreSQL from ${binDir} on 127.0.0.1:${port}`,
    stop: async () => {
      await asUser(path.join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(
        () => undefined,
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startFromContainer(): Promise<TestPostgres> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  await getContainerRuntimeClient();
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer(process.env.TEST_PG_IMAGE ?? 'postgres:15-alpine')
    .withUsername('postgres')
    .withPassword('postgres')
    .start();
  return {
    adminUrl: container.getConnectionUri().replace(/\/[^/]*$/, '/postgres'),
    describe: `PostgreSQL container ${container.getId().slice(0, 12)}`,
    stop: async () => {
      await container.stop();
    },
  };
}

export async function startTestPostgres(): Promise<TestPostgres> {
  if (process.env.DATABASE_URL) {
    return { adminUrl: process.env.DATABASE_URL, describe: 'DATABASE_URL', stop: async () => undefined };
  }
  const binDir = findBinDir();
  if (binDir) return startFromBinaries(binDir);
  try {
    return await startFromContainer();
  } catch (error) {
    throw new Error(
      'No PostgreSQL for the tests: install the server binaries (apt-get install -y postgresql), ' +
        `start a Docker daemon, or set DATABASE_URL. (${(error as Error).message})`,
    );
  }
}
