import type { Queryable } from './pool.js';

/** One lead's PipeRun sync checkpoint: each remote id is written as soon as PipeRun returns it. */
export type CrmSyncStatus = 'pending' | 'done' | 'failed' | 'not_configured';
export type CrmSyncState = {
  leadId: string;
  status: CrmSyncStatus;
  cityId: number | null;
  companyId: number | null;
  companyHash: string | null;
  personId: number | null;
  dealId: number | null;
  noteId: number | null;
  noteHash: string | null;
  attempts: number;
  lastError: string | null;
};
export type CrmCheckpoint = Partial<
  Pick<CrmSyncState, 'cityId' | 'companyId' | 'companyHash' | 'personId' | 'dealId' | 'noteId' | 'noteHash'>
>;

type Row = {
  lead_id: string;
  status: CrmSyncStatus;
  city_id: string | null;
  company_id: string | null;
  company_hash: string | null;
  person_id: string | null;
  deal_id: string | null;
  note_id: string | null;
  note_hash: string | null;
  attempts: number;
  last_error: string | null;
};

const toNumber = (value: string | null) => (value === null ? null : Number(value));

function toState(row: Row): CrmSyncState {
  return {
    leadId: row.lead_id,
    status: row.status,
    cityId: toNumber(row.city_id),
    companyId: toNumber(row.company_id),
    companyHash: row.company_hash,
    personId: toNumber(row.person_id),
    dealId: toNumber(row.deal_id),
    noteId: toNumber(row.note_id),
    noteHash: row.note_hash,
    attempts: row.attempts,
    lastError: row.last_error,
  };
}

const COLUMNS: Record<keyof CrmCheckpoint, string> = {
  cityId: 'city_id',
  companyId: 'company_id',
  companyHash: 'company_hash',
  personId: 'person_id',
  dealId: 'deal_id',
  noteId: 'note_id',
  noteHash: 'note_hash',
};

export function createCrmSyncRepo(db: Queryable) {
  /** The lead's row, created on first use; counts this attempt. */
  async function begin(leadId: string): Promise<CrmSyncState> {
    const result = await db.query<Row>(
      `insert into crm_sync (lead_id, attempts) values ($1, 1)
       on conflict (lead_id) do update set attempts = crm_sync.attempts + 1, updated_at = now()
       returning *`,
      [leadId],
    );
    return toState(result.rows[0] as Row);
  }

  async function checkpoint(leadId: string, fields: CrmCheckpoint): Promise<void> {
    const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return;
    const sets = entries.map(([key], index) => `${COLUMNS[key as keyof CrmCheckpoint]} = $${index + 2}`);
    await db.query(`update crm_sync set ${sets.join(', ')}, updated_at = now() where lead_id = $1`, [
      leadId,
      ...entries.map(([, value]) => value),
    ]);
  }

  async function finish(
    leadId: string,
    status: CrmSyncStatus,
    detail: { error?: string; stub?: unknown } = {},
  ) {
    await db.query(
      `update crm_sync set status = $2, last_error = $3, stub_payload = coalesce($4::jsonb, stub_payload),
         synced_at = case when $2 = 'done' then now() else synced_at end, updated_at = now()
       where lead_id = $1`,
      [leadId, status, detail.error ?? null, detail.stub === undefined ? null : JSON.stringify(detail.stub)],
    );
  }

  async function find(leadId: string): Promise<CrmSyncState | undefined> {
    const result = await db.query<Row>('select * from crm_sync where lead_id = $1', [leadId]);
    return result.rows[0] ? toState(result.rows[0]) : undefined;
  }

  async function cachedCity(key: string): Promise<{ cityId: number | null } | undefined> {
    const result = await db.query<{ city_id: string | null }>(
      'select city_id from crm_cities where key = $1',
      [key],
    );
    return result.rows[0] ? { cityId: toNumber(result.rows[0].city_id) } : undefined;
  }

  async function cacheCity(key: string, city: { cityId: number | null; name: string; uf: string }) {
    await db.query(
      `insert into crm_cities (key, city_id, name, uf) values ($1, $2, $3, $4)
       on conflict (key) do update set city_id = excluded.city_id, fetched_at = now()`,
      [key, city.cityId, city.name, city.uf],
    );
  }

  return { begin, checkpoint, finish, find, cachedCity, cacheCity };
}

export type CrmSyncRepo = ReturnType<typeof createCrmSyncRepo>;
