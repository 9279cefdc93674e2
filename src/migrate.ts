import { loadConfigOrExit } from './config.js';
import { migrate } from './db/migrator.js';
import { createPool } from './db/pool.js';
import { createLogger } from './observability/logger.js';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (e.g. Supabase) and exits. */
const config = loadConfigOrExit();
const log = createLogger({ level: config.logLevel });
if (!config.database.url) {
  log.fatal('DATABASE_URL is not set: the embedded database migrates itself on start (npm start)');
  process.exit(1);
}
const pool = createPool({ connectionString: config.database.url, max: 1, log });
try {
  await migrate({ pool, log });
} catch (error) {
  log.fatal({ err: error }, (error as Error).message);
  process.exitCode = 1;
} finally {
  await pool.end();
}
