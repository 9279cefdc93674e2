import pg from 'pg';
import type { Logger } from '../observability/logger.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that runs a query: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

// bigint (count(*), identity ids) as JS numbers: our counts and ids stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export type PoolSettings = {
  connectionString: string;
  max: number;
  log: Logger;
  applicationName?: string;
};

export function createPool({
  connectionString,
  max,
  log,
  applicationName = 'seleto-agent',
}: PoolSettings): Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // A connection the server terminates (failover, restart, admin kill) must not crash the process:
  // the pool covers idle clients, and this listener covers checked-out ones, whose current query
  // fails on its own; the next query reconnects.
  pool.on('error', (err) => log.warn({ err }, 'idle database connection failed'));
  pool.on('connect', (client) => {
    client.on('error', (err) => log.warn({ err }, 'database connection failed while in use'));
  });
  return pool;
}

/** Runs `work` in one transaction on one client; rolls back on any error. */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
