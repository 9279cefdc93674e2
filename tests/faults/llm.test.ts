import { describeFaultRuns } from './matrix.js';

// Chat completions fail with 500, 429 + Retry-After and timeouts; the outage times out or answers
// 500 on every call. The offline policy must answer instead, never silence.
describeFaultRuns('llm', { seed: 110 });
