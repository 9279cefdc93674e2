import { describeFaultRuns } from './matrix.js';

// Transcriptions fail with 500, 429 + Retry-After and timeouts; the outage answers 503 or 429 on
// every call. A voice note not read must get the ask-to-type reply, never silence.
describeFaultRuns('transcription', { seed: 120 });
