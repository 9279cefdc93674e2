import { describeFaultRuns } from './matrix.js';

// Chatwoot calls fail with 500, 429 + Retry-After, timeouts and answers lost after a create; the
// outage answers a proxy's 503 page to every call.
describeFaultRuns('chatwoot', { seed: 140 });
