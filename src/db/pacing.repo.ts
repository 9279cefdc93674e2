import type { Queryable } from './pool.js';

/**
 * A send slot per WhatsApp number, shared by every instance through one row: each reservation
 * moves the next free slot one interval later, atomically.
 */
export function createPacingRepo(db: Queryable) {
  /**
   * Reserves the next slot for `senderKey` unless it is more than `maxWaitMs` away.
   * Returns the slot time, or `{ deferUntil }` when the caller should come back later.
   */
  async function reserve(
    senderKey: string,
    intervalMs: number,
    maxWaitMs: number,
  ): Promise<{ slotAt: Date } | { deferUntil: Date }> {
    await db.query('insert into send_pacing (sender_key) values ($1) on conflict do nothing', [senderKey]);
    const result = await db.query<{ slot_at: Date | null; next_at: Date }>(
      `with current as (
         select greatest(next_slot_at, now()) as slot from send_pacing where sender_key = $1 for update
       ), taken as (
         update send_pacing set next_slot_at = (select slot from current) + make_interval(secs => $2::float8 / 1000)
         where sender_key = $1 and (select slot from current) <= now() + make_interval(secs => $3::float8 / 1000)
         returning 1
       )
       select case when exists (select 1 from taken) then (select slot from current) end as slot_at,
              (select slot from current) as next_at`,
      [senderKey, intervalMs, maxWaitMs],
    );
    const row = result.rows[0] as { slot_at: Date | null; next_at: Date };
    return row.slot_at ? { slotAt: row.slot_at } : { deferUntil: row.next_at };
  }

  return { reserve };
}

export type PacingRepo = ReturnType<typeof createPacingRepo>;
