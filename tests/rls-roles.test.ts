import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAnyRow, publicTables } from './helpers/any-row.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';

/**
 * What each kind of Supabase API caller may do, checked the way PostgREST runs a request:
 * `set local role <anon|authenticated>` and the JWT's claims in `request.jwt.claims`, inside
 * one transaction. Every table in `public` gets a row first (written as the owner, who
 * bypasses RLS like the service does), so a table added later is covered without edits here.
 */

const SDR_TABLES = ['conversations', 'leads', 'messages'];
const USER_ID = '00000000-0000-0000-0000-000000000042';

type Caller = { role: 'anon' | 'authenticated'; claims: Record<string, unknown> };

const anon: Caller = { role: 'anon', claims: { role: 'anon' } };
const signedIn = (appMetadata: Record<string, unknown> = {}, userMetadata: Record<string, unknown> = {}) =>
  ({
    role: 'authenticated',
    claims: { sub: USER_ID, role: 'authenticated', app_metadata: appMetadata, user_metadata: userMetadata },
  }) satisfies Caller;
const sdr = signedIn({ provider: 'email', role: 'sdr' });
const admin = signedIn({ provider: 'email', role: 'admin' });

let db: TestDatabase;
let client: pg.Client;
let tables: string[];

beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  tables = (await publicTables(client)).map((t) => t.name);
});
afterAll(async () => {
  await client.end();
  await db.drop();
});

/** Runs `work` with one row in every public table, then throws all of it away. */
async function withSeededTables(work: () => Promise<void>): Promise<void> {
  await client.query('begin');
  try {
    // Foreign keys are triggers: replica mode skips them for this transaction only.
    await client.query('set local session_replication_role = replica');
    for (const table of tables) await insertAnyRow(client, table);
    await client.query('set local session_replication_role = origin');
    await work();
  } finally {
    await client.query('rollback');
  }
}

/** Runs `work` as the caller, then returns to the owner: a savepoint undoes the role and any error. */
async function as<T>(caller: Caller, work: () => Promise<T>): Promise<T> {
  await client.query('savepoint caller');
  try {
    await client.query(`set local role ${caller.role}`);
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(caller.claims)]);
    return await work();
  } finally {
    await client.query('rollback to savepoint caller');
  }
}

const table = (name: string) => `public.${client.escapeIdentifier(name)}`;

async function readableTables(caller: Caller): Promise<string[]> {
  const readable: string[] = [];
  for (const name of tables) {
    const seen = await as(caller, () => client.query(`select count(*)::int as n from ${table(name)}`));
    if (seen.rows[0].n > 0) readable.push(name);
  }
  return readable;
}

/** Each write statement the caller attempted on a table and that Postgres did not refuse. */
async function acceptedWrites(caller: Caller): Promise<string[]> {
  const accepted: string[] = [];
  for (const name of tables) {
    // Identity columns refuse `update … set` before privileges are even checked: skip them.
    const plainColumn = await client.query<{ name: string }>(
      `select attname as name from pg_attribute
       where attrelid = $1::regclass and attnum > 0 and not attisdropped
         and attidentity = '' and attgenerated = ''
       order by attnum limit 1`,
      [table(name)],
    );
    const column = client.escapeIdentifier(plainColumn.rows[0]?.name ?? '');
    const writes = {
      insert: `insert into ${table(name)} default values`,
      update: `update ${table(name)} set ${column} = ${column}`,
      delete: `delete from ${table(name)}`,
      // TRUNCATE is not subject to RLS at all: only the privilege stops it.
      truncate: `truncate ${table(name)} cascade`,
    };
    for (const [verb, sql] of Object.entries(writes)) {
      const refusal = await as(caller, () =>
        client.query(sql).then(
          () => undefined,
          (error: Error) => error,
        ),
      );
      if ((refusal as { code?: string } | undefined)?.code !== '42501') accepted.push(`${verb} ${name}`);
    }
  }
  return accepted;
}

describe('Supabase API roles', () => {
  it('seeds a row the owner can read in every public table', async () => {
    await withSeededTables(async () => {
      for (const name of tables) {
        const total = await client.query(`select count(*)::int as n from ${table(name)}`);
        expect(total.rows[0].n, name).toBe(1);
      }
    });
    expect(tables).toEqual(expect.arrayContaining([...SDR_TABLES, 'dead_letters', 'quotes']));
  });

  it('lets an SDR read leads, conversations and messages and nothing else', async () => {
    await withSeededTables(async () => {
      expect(await readableTables(sdr)).toEqual(SDR_TABLES);
    });
  });

  it('lets an admin read every table', async () => {
    await withSeededTables(async () => {
      expect(await readableTables(admin)).toEqual(tables);
    });
  });

  it.each([
    ['anon', anon],
    ['a signed-in user without a role', signedIn()],
    ['a signed-in user with an unknown role', signedIn({ role: 'viewer' })],
    // user_metadata is editable by the user: claiming admin there must give nothing.
    ['a signed-in user who put admin in user_metadata', signedIn({}, { role: 'admin' })],
  ])('shows %s no row of any table', async (_name, caller) => {
    await withSeededTables(async () => {
      expect(await readableTables(caller)).toEqual([]);
    });
  });

  it.each([
    ['anon', anon],
    ['a signed-in user without a role', signedIn()],
    ['an SDR', sdr],
    ['an admin', admin],
  ])('refuses every insert, update, delete and truncate from %s', async (_name, caller) => {
    await withSeededTables(async () => {
      expect(await acceptedWrites(caller)).toEqual([]);
      const total = await client.query(`select count(*)::int as n from ${table('leads')}`);
      expect(total.rows[0].n).toBe(1);
    });
  });

  it('leaves the owner, as the service connects, reading and writing without policies', async () => {
    await withSeededTables(async () => {
      const owner = await client.query<{ bypass: boolean }>(
        `select r.rolsuper or r.rolbypassrls or c.relowner = r.oid as bypass
         from pg_roles r, pg_class c where r.rolname = current_user and c.oid = 'public.leads'::regclass`,
      );
      expect(owner.rows[0]?.bypass).toBe(true);
      await client.query(`update ${table('leads')} set name = 'Owner'`);
      expect((await client.query(`select name from ${table('leads')}`)).rows).toEqual([{ name: 'Owner' }]);
    });
  });
});
