import { loadConfig } from '../../src/config.js';
import { type Service, type ServiceOverrides, startService } from '../../src/service.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { captureLogs, type LogLine } from './logs.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export type TestService = { service: Service; db: TestDatabase; logs: LogLine[]; stop: () => Promise<void> };

/** The real service (same composition as `npm start`) on a database of the test's own. */
export async function startTestService(
  env: Record<string, string> = {},
  overrides: ServiceOverrides = {},
  existing?: TestDatabase,
): Promise<TestService> {
  const db = existing ?? (await createTestDatabase());
  const { log, lines } = captureLogs();
  const config = loadConfig({ DATABASE_URL: db.url, PORT: '0', ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env });
  const service = await startService(config, log, overrides);
  return {
    service,
    db,
    logs: lines,
    stop: async () => {
      await service.stop();
      await db.drop();
    },
  };
}
