import { describeFaultRuns } from './matrix.js';

// Sends fail with 500, 429 + Retry-After, timeouts and answers lost after the provider took the
// message; the outage refuses connections.
describeFaultRuns('whatsapp', { seed: 100 });
