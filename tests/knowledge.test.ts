import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKnowledgeRepo, type KnowledgeRepo } from '../src/db/knowledge.repo.js';
import { createPool, type Pool } from '../src/db/pool.js';
import { checkReply } from '../src/domain/guardrails/policy.js';
import {
  loadProductCatalogue,
  parseKnowledgeFile,
  syncKnowledge,
} from '../src/services/knowledge.service.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { captureLogs } from './helpers/logs.js';

const KNOWLEDGE_DIR = fileURLToPath(new URL('../knowledge', import.meta.url));
const PRODUCTS = [
  'Envasadora',
  'Rotuladora',
  'Tampadora',
  'Seladora',
  'Esteira transportadora',
  'Dosadora',
  'Encartuchadeira',
  'Linha completa',
];

async function knowledgeFiles(): Promise<Array<{ name: string; text: string }>> {
  const names = (await readdir(KNOWLEDGE_DIR)).filter((name) => name.endsWith('.md') && name !== 'README.md');
  return Promise.all(
    names.map(async (name) => ({ name, text: await readFile(path.join(KNOWLEDGE_DIR, name), 'utf8') })),
  );
}

let db: TestDatabase;
let pool: Pool;
let repo: KnowledgeRepo;
const { log } = captureLogs();

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 2, log });
  repo = createKnowledgeRepo(pool);
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('the knowledge folder', () => {
  it('has a file for each of the eight products, each with sections', async () => {
    const files = (await knowledgeFiles()).map(({ name, text }) => parseKnowledgeFile(name, text));
    expect(files.map((file) => file.product).filter(Boolean)).toHaveLength(PRODUCTS.length);
    for (const product of PRODUCTS) {
      const file = files.find((candidate) => candidate.product === product);
      expect(file?.chunks.length, product).toBeGreaterThanOrEqual(4);
    }
  });

  it('holds no price, deadline, discount or payment term the agent could quote', async () => {
    for (const { name, text } of await knowledgeFiles()) {
      for (const { heading, content } of parseKnowledgeFile(name, text).chunks) {
        const leaks = checkReply(content).violations.filter((v) => v.rule === 'commercial_terms');
        expect(leaks, `${name} › ${heading}`).toEqual([]);
      }
    }
  });

  it('gives the offline extractor the eight products with their keywords', async () => {
    const catalogue = await loadProductCatalogue(KNOWLEDGE_DIR);
    expect(catalogue.map((entry) => entry.product).sort()).toEqual([...PRODUCTS].sort());
    const envasadora = catalogue.find((entry) => entry.product === 'Envasadora');
    expect(envasadora?.keywords).toEqual(expect.arrayContaining(['envasadeira', 'envazadora', 'enchedora']));
    for (const entry of catalogue) expect(entry.keywords.length, entry.product).toBeGreaterThan(2);
  });

  it('reads a missing folder as empty', async () => {
    await expect(loadProductCatalogue('/nonexistent/knowledge')).resolves.toEqual([]);
  });
});

describe('knowledge search over the synced folder', () => {
  beforeAll(async () => {
    await syncKnowledge(pool, KNOWLEDGE_DIR, log);
  });

  it('stores chunks for every product file', async () => {
    const result = await pool.query<{ product: string; chunks: number }>(
      'select product, count(*) as chunks from knowledge_chunks where product is not null group by product',
    );
    expect(result.rows.map((row) => row.product).sort()).toEqual([...PRODUCTS].sort());
    for (const row of result.rows) expect(row.chunks, row.product).toBeGreaterThanOrEqual(4);
  });

  it('finds the Envasadora sections first for a question about filling syrup', async () => {
    const hits = await repo.search('envasadora para xarope');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.map((hit) => hit.product)).toEqual(hits.map(() => 'Envasadora'));
    expect(hits[0]?.content).toMatch(/xarope/);
  });

  it('finds the Rotuladora from a query typed without accents', async () => {
    const [first] = await repo.search('maquina de rotulo');
    expect(first?.product).toBe('Rotuladora');
  });

  it('finds nothing for a subject the catalogue does not cover', async () => {
    await expect(repo.search('helicóptero')).resolves.toEqual([]);
  });

  it('finds nothing for an empty query or one of stopwords only', async () => {
    await expect(repo.search('   ')).resolves.toEqual([]);
    await expect(repo.search('para de com')).resolves.toEqual([]);
  });

  it('returns at most the requested number of hits, best first', async () => {
    const hits = await repo.search('aço inox 304 220 V', 5);
    expect(hits).toHaveLength(5);
    const ranks = hits.map((hit) => hit.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });

  it('changes nothing when the folder did not change', async () => {
    const again = await syncKnowledge(pool, KNOWLEDGE_DIR, log);
    expect(again).toMatchObject({ changed: 0, removed: 0 });
    expect(again.files).toBe(PRODUCTS.length + 1);
  });
});

describe('re-syncing an edited folder', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'knowledge-'));
    await cp(KNOWLEDGE_DIR, dir, { recursive: true });
    await syncKnowledge(pool, dir, log);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('re-indexes only the edited section and drops a removed one', async () => {
    const file = path.join(dir, 'seladora.md');
    const original = await readFile(file, 'utf8');
    const edited = original
      .replace('Termosseladora de copos com 1 a 4 pistas', 'Termosseladora de copos com 1 a 6 pistas')
      .replace(/## Perguntas frequentes[\s\S]*$/, '');
    await writeFile(file, edited);

    const result = await syncKnowledge(pool, dir, log);

    expect(result).toMatchObject({ changed: 1, removed: 1 });
    const [hit] = await repo.search('termosseladora pistas');
    expect(hit?.content).toMatch(/1 a 6 pistas/);
    const faq = await pool.query(
      `select 1 from knowledge_chunks where source = 'seladora.md' and heading = $1`,
      ['Perguntas frequentes'],
    );
    expect(faq.rowCount).toBe(0);
  });

  it('deletes every chunk of a removed file', async () => {
    const before = await pool.query(`select 1 from knowledge_chunks where source = 'dosadora.md'`);
    await rm(path.join(dir, 'dosadora.md'));

    const result = await syncKnowledge(pool, dir, log);

    expect(result).toMatchObject({ changed: 0, removed: before.rowCount });
    expect((await repo.search('dosadora de pó')).map((hit) => hit.product)).not.toContain('Dosadora');
  });

  it('leaves the index as it was when the folder is missing', async () => {
    const count = async () => (await pool.query('select 1 from knowledge_chunks')).rowCount;
    const before = await count();
    await expect(syncKnowledge(pool, path.join(dir, 'missing'), log)).resolves.toEqual({
      files: 0,
      chunks: 0,
      changed: 0,
      removed: 0,
    });
    expect(await count()).toBe(before);
  });
});
