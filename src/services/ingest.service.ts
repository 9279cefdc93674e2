import type { NewInboundEvent } from '../db/inbound-event.repo.js';
import { createInboundEventWriter } from '../db/inbound-event-writer.js';
import type { Pool } from '../db/pool.js';
import type { ParsedWebhook, WhatsAppProviderName } from '../integrations/whatsapp/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * The webhook's synchronous part, kept to one INSERT so the provider gets its 200 in
 * milliseconds: every event of the delivery is recorded, deduped on the provider's message id
 * (under load, together with the deliveries arriving alongside: inbound-event-writer.ts).
 * The event processor does the rest from the table, so an accepted event survives any crash.
 */
export type IngestSummary = { received: number; duplicates: number; ignored: number };

type Deps = { pool: Pool; metrics: Metrics; onAccepted?: () => void };

function toEvents(parsed: ParsedWebhook): NewInboundEvent[] {
  return [
    ...parsed.messages.map((m) => ({
      provider: m.provider,
      instanceId: m.instanceId,
      messageId: m.messageId,
      eventType: m.fromMe ? ('echo' as const) : ('message' as const),
      payload: m,
    })),
    // Meta sends one receipt per state: dedupe on (message, state) (contract §0.2).
    ...parsed.statuses.map((s) => ({
      provider: s.provider,
      instanceId: s.instanceId,
      messageId: `${s.providerMessageId}:${s.status}`,
      eventType: 'status' as const,
      payload: s,
    })),
    ...parsed.ignored.map((i) => ({
      provider: i.provider,
      instanceId: i.instanceId,
      messageId: i.messageId,
      eventType: 'ignored' as const,
      ignoreReason: i.reason,
      detail: i.detail,
      payload: null,
    })),
  ];
}

export function createIngestService({ pool, metrics, onAccepted }: Deps) {
  const inboundEvents = createInboundEventWriter(pool);

  async function accept(
    provider: WhatsAppProviderName,
    parsed: ParsedWebhook,
    /** The webhook body exactly as received (JSON text), kept for audit. */
    rawJson: string,
    correlationId: string,
    log: Pick<Logger, 'info'>,
  ): Promise<IngestSummary> {
    const total = parsed.messages.length + parsed.statuses.length + parsed.ignored.length;
    const inserted = await inboundEvents.write(toEvents(parsed), rawJson, correlationId);
    const summary = {
      received: total,
      duplicates: total - inserted,
      ignored: parsed.ignored.length,
    };
    // The insert says how many rows were new, not which: an ignored event counts as ignored even
    // when redelivered. A redelivery repeats the whole delivery, so the split is exact in practice.
    const duplicates = Math.min(summary.duplicates, total - summary.ignored);
    const accepted = total - summary.ignored - duplicates;
    if (accepted > 0) metrics.webhookEvents.inc({ provider, outcome: 'accepted' }, accepted);
    if (duplicates > 0) metrics.webhookEvents.inc({ provider, outcome: 'duplicate' }, duplicates);
    if (summary.ignored > 0) metrics.webhookEvents.inc({ provider, outcome: 'ignored' }, summary.ignored);
    for (const ignored of parsed.ignored) {
      metrics.eventsIgnored.inc({ provider, reason: ignored.reason });
      log.info(
        { reason: ignored.reason, detail: ignored.detail, messageId: ignored.messageId },
        'webhook event ignored',
      );
    }
    if (inserted > 0) onAccepted?.();
    return summary;
  }

  return { accept };
}

export type IngestService = ReturnType<typeof createIngestService>;
