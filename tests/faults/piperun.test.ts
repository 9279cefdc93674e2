import { describeFaultRuns } from './matrix.js';

// CRM calls fail with 500, 429 + Retry-After, timeouts and answers lost after a create; the
// outage refuses connections. The flaky run also meets one 422, the failure that must be
// dead-lettered.
describeFaultRuns('piperun', { seed: 130, permanentErrorIn: 'flaky' });
