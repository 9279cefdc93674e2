import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from '../observability/logger.js';

/**
 * The embedded default: a real Postgres (PGlite, WASM) in this process, file-backed under
 * DATA_DIR and served on a Unix socket so that the same `pg` code path reaches it. PGlite has
 * one backend, so the pool must use a single connection and only one process may open the
 * folder; production uses DATABASE_URL.
 */
export type EmbeddedPostgres = { connectionString: string; stop: () => Promise<void> };

const UNIX_SOCKET_PATH_MAX = 100;
const SOCKET_PORT = 5432;

export class DataDirLockedError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `DATA_DIR ${dataDir} is in use by process ${pid}: the embedded database serves one instance. ` +
        'Stop that process, choose another DATA_DIR, or set DATABASE_URL to share a Postgres server.',
    );
    this.name = 'DataDirLockedError';
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function takeLock(lockFile: string, dataDir: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(pid) && pid !== process.pid && isProcessAlive(pid))
        throw new DataDirLockedError(dataDir, pid);
      // A lock left by a crashed process: take it over.
      await rm(lockFile, { force: true });
    }
  }
  throw new Error(`could not lock ${lockFile}`);
}

export async function startEmbeddedPostgres({
  dataDir,
  log,
}: {
  dataDir: string;
  log: Logger;
}): Promise<EmbeddedPostgres> {
  const root = path.resolve(dataDir);
  await mkdir(root, { recursive: true });
  const lockFile = path.join(root, 'embedded.lock');
  await takeLock(lockFile, root);

  const startedAt = Date.now();
  const db = await PGlite.create(path.join(root, 'pglite'));
  const socketPath = path.join(root, `.s.PGSQL.${SOCKET_PORT}`);
  const useUnixSocket = socketPath.length <= UNIX_SOCKET_PATH_MAX;
  if (useUnixSocket) await rm(socketPath, { force: true });
  const server = new PGLiteSocketServer(
    useUnixSocket ? { db, path: socketPath } : { db, host: '127.0.0.1', port: 0 },
  );
  await server.start();

  const connectionString = useUnixSocket
    ? `postgres://postgres@localhost/postgres?host=${encodeURIComponent(root)}&port=${SOCKET_PORT}`
    : `postgres://postgres@${server.getServerConn()}/postgres`;
  log.info({ dataDir: root, durationMs: Date.now() - startedAt }, 'embedded database started');

  return {
    connectionString,
    async stop() {
      await server.stop();
      await db.close();
      await rm(lockFile, { force: true });
      if (useUnixSocket) await rm(socketPath, { force: true });
    },
  };
}
