import { errors } from '../errors.js';
import type { Queryable } from './pool.js';

/**
 * JSON that JSON.parse accepts but Postgres cannot store, by SQLSTATE. Parsed fields are made
 * storable first (domain/storable-text.ts) and the bodies are json, so what remains is nesting
 * too deep for Postgres' parser. It always comes from the sender: a 400, not our 500.
 */
const UNSTORABLE_JSON: Readonly<Record<string, string>> = {
  // untranslatable_character
  '22P05': 'webhook body contains a NUL character (\\u0000), which cannot be stored',
  // invalid_text_representation: an unpaired UTF-16 surrogate
  '22P02': 'webhook body contains an unpaired UTF-16 surrogate escape (e.g. \\ud800), which cannot be stored',
  // statement_too_complex: Postgres' JSON parser hit max_stack_depth
  '54001': 'webhook body is nested too deeply to be stored',
};

export type InboundEventType = 'message' | 'echo' | 'human_echo' | 'status' | 'ignored';

export type NewInboundEvent = {
  provider: string;
  instanceId: string | null;
  messageId: string | null;
  eventType: InboundEventType;
  ignoreReason?: string | null;
  detail?: string | null;
  /** The normalized event for the processor; null for ignored events (born processed). */
  payload: unknown;
};

export type PendingEvent = {
  id: number;
  eventType: InboundEventType;
  payload: unknown;
  correlationId: string | null;
};

// Named: the webhook's hot statements are parsed and planned once per connection, not per request.
// Most deliveries carry one event; plain parameters spare Postgres a recordset of JSON for them.
function insertOne(event: NewInboundEvent, rawJson: string, correlationId: string) {
  return {
    name: 'inbound-events-insert-one',
    text: `insert into inbound_events (provider, instance_id, message_id, event_type, ignore_reason, detail, payload,
         processed_at, correlation_id, raw)
       values ($1, $2, $3, $4, $5, $6, $7, case when $4 = 'ignored' then now() end, $8, $9)
       on conflict (provider, instance_id, message_id) do nothing`,
    values: [
      event.provider,
      event.instanceId ?? '',
      event.messageId,
      event.eventType,
      event.ignoreReason ?? null,
      event.detail ?? null,
      event.payload === null ? null : JSON.stringify(event.payload),
      correlationId,
      rawJson,
    ],
  };
}

/** One webhook delivery: its events, its body as received, its request's correlation id. */
export type Delivery = { events: NewInboundEvent[]; rawJson: string; correlationId: string };

/**
 * The events of one or several deliveries in one statement. The recordset is built as text: a
 * body goes in as the JSON it already is (verbatim: Postgres keeps a json value's text), with no
 * escaping pass over it, once per event as each row stores it.
 */
function insertDeliveries(deliveries: Delivery[]) {
  const rows = deliveries.flatMap(({ events, rawJson, correlationId }) =>
    events.map(
      (e) =>
        `{"provider":${JSON.stringify(e.provider)},"instance_id":${JSON.stringify(e.instanceId ?? '')},` +
        `"message_id":${JSON.stringify(e.messageId)},"event_type":${JSON.stringify(e.eventType)},` +
        `"ignore_reason":${JSON.stringify(e.ignoreReason ?? null)},"detail":${JSON.stringify(e.detail ?? null)},` +
        `"payload":${JSON.stringify(e.payload)},"correlation_id":${JSON.stringify(correlationId)},"raw":${rawJson}}`,
    ),
  );
  return {
    name: 'inbound-events-insert-deliveries',
    text: `insert into inbound_events (provider, instance_id, message_id, event_type, ignore_reason, detail, payload,
         processed_at, correlation_id, raw)
       select r.provider, r.instance_id, r.message_id, r.event_type, r.ignore_reason, r.detail, r.payload,
         case when r.event_type = 'ignored' then now() end, r.correlation_id, r.raw
       from json_to_recordset($1::json) as r(provider text, instance_id text, message_id text, event_type text,
         ignore_reason text, detail text, payload json, correlation_id text, raw json)
       on conflict (provider, instance_id, message_id) do nothing
       returning correlation_id`,
    values: [`[${rows.join(',')}]`],
  };
}

export function createInboundEventRepo(db: Queryable) {
  /**
   * Records all events of one webhook delivery in a single statement; redeliveries of a
   * provider message id are skipped. Returns how many rows were new.
   */
  async function insertMany(
    events: NewInboundEvent[],
    rawJson: string,
    correlationId: string,
  ): Promise<number> {
    if (events.length === 0) return 0;
    try {
      const result = await db.query(
        events.length === 1
          ? insertOne(events[0] as NewInboundEvent, rawJson, correlationId)
          : insertDeliveries([{ events, rawJson, correlationId }]),
      );
      return result.rowCount ?? 0;
    } catch (error) {
      const unstorable = UNSTORABLE_JSON[(error as { code?: string }).code ?? ''];
      if (unstorable) throw errors.badRequest(unstorable);
      throw error;
    }
  }

  /**
   * Records the events of several deliveries in one statement, all or nothing. Returns how many
   * rows were new per correlation id: the caller gives each delivery its own.
   */
  async function insertBatch(deliveries: Delivery[]): Promise<Map<string, number>> {
    const result = await db.query<{ correlation_id: string }>(insertDeliveries(deliveries));
    const inserted = new Map<string, number>();
    for (const { correlation_id: id } of result.rows) inserted.set(id, (inserted.get(id) ?? 0) + 1);
    return inserted;
  }

  /** Up to `limit` unprocessed events, oldest first; the caller holds the processing lane. */
  async function claimPending(limit: number): Promise<PendingEvent[]> {
    const result = await db.query<{
      id: number;
      event_type: InboundEventType;
      payload: unknown;
      correlation_id: string | null;
    }>(
      `select id, event_type, payload, correlation_id from inbound_events
       where processed_at is null order by id limit $1`,
      [limit],
    );
    return result.rows.map((r) => ({
      id: r.id,
      eventType: r.event_type,
      payload: r.payload,
      correlationId: r.correlation_id,
    }));
  }

  async function markProcessed(id: number, eventType: InboundEventType): Promise<void> {
    await db.query('update inbound_events set processed_at = now(), event_type = $2 where id = $1', [
      id,
      eventType,
    ]);
  }

  /** Takes a poison event out of the line, with what went wrong, for the operator to requeue. */
  async function markFailed(id: number, detail: string): Promise<void> {
    await db.query('update inbound_events set processed_at = now(), detail = $2 where id = $1', [
      id,
      detail.slice(0, 500),
    ]);
  }

  /** Puts an event back in the processing line (admin requeue of a dead letter). */
  async function reopen(id: number): Promise<void> {
    await db.query('update inbound_events set processed_at = null where id = $1', [id]);
  }

  /** LGPD: raw payloads carry personal data; keep them only as long as the retention setting. */
  async function purgeRaw(olderThanDays: number): Promise<number> {
    const result = await db.query(
      `update inbound_events set raw = null, raw_purged_at = now()
       where raw is not null and received_at < now() - make_interval(days => $1)`,
      [olderThanDays],
    );
    return result.rowCount ?? 0;
  }

  return { insertMany, insertBatch, claimPending, markProcessed, markFailed, reopen, purgeRaw };
}

export type InboundEventRepo = ReturnType<typeof createInboundEventRepo>;
