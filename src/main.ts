import { loadConfigOrExit } from './config.js';
import { createLogger } from './observability/logger.js';
import { type Service, startService } from './service.js';

// Past this, a stuck drain must not keep a deploy waiting: exit anyway.
const FORCED_EXIT_GRACE_MS = 5000;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger({ level: config.logLevel });

  let service: Service;
  try {
    service = await startService(config, log);
    await service.app.listen({ port: config.http.port, host: config.http.host });
  } catch (error) {
    log.fatal({ err: error }, `start-up failed: ${(error as Error).message}`);
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: draining requests and jobs');
    setTimeout(() => {
      log.error('shutdown took too long; exiting with work possibly unfinished (jobs will be retried)');
      process.exit(1);
    }, config.shutdownTimeoutMs + FORCED_EXIT_GRACE_MS).unref();
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // A bug that escapes every handler: say so in the structured log, then let the supervisor restart us.
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception: exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: reason }, 'unhandled promise rejection: exiting');
    process.exit(1);
  });
}

await main();
