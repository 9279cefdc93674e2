/**
 * The knowledge base: the Markdown files in the knowledge folder, one per product plus an FAQ,
 * split into `## ` sections and kept in `knowledge_chunks` for the agent to search and quote.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createKnowledgeRepo } from '../db/knowledge.repo.js';
import { type Pool, withTransaction } from '../db/pool.js';
import type { ProductCatalogue } from '../domain/lead/extractors/needs.js';
import { fold } from '../domain/lead/extractors/text.js';
import type { Logger } from '../observability/logger.js';

export type KnowledgeChunk = { heading: string; content: string };
export type KnowledgeFile = {
  title: string;
  product: string | null;
  keywords: string[];
  chunks: KnowledgeChunk[];
};
export type KnowledgeSyncResult = { files: number; chunks: number; changed: number; removed: number };

/** The heading of the text before a file's first `## ` section. */
export const OVERVIEW_HEADING = 'Visão geral';

const FRONT_MATTER = /^---\n([\s\S]*?)\n---(?:\n|$)/;
/** The sample-content warning at the top of each file: for the operator, not for leads. */
const SAMPLE_NOTE = /^>\s*conteudo ilustrativo/;

export function parseKnowledgeFile(fileName: string, text: string): KnowledgeFile {
  const normalized = text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/^\uFEFF/, '');
  const frontMatter = FRONT_MATTER.exec(normalized);
  const fields = parseFrontMatter(frontMatter?.[1] ?? '');
  const body = frontMatter ? normalized.slice(frontMatter[0].length) : normalized;
  const lines = body.split('\n').filter((line) => !SAMPLE_NOTE.test(fold(line.trim())));
  const h1 = lines.find((line) => /^#\s/.test(line));
  return {
    title: fields.get('title') || h1?.replace(/^#\s+/, '').trim() || path.basename(fileName, '.md'),
    product: fields.get('product') || null,
    keywords: (fields.get('keywords') ?? '')
      .split(',')
      .map((keyword) => keyword.trim())
      .filter(Boolean),
    chunks: splitSections(lines.filter((line) => line !== h1)),
  };
}

/** `key: value` lines; quotes and YAML list brackets around a value are dropped. */
function parseFrontMatter(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of block.split('\n')) {
    const match = /^([A-Za-z_]+)\s*:\s*(.*)$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined)
      fields.set(match[1].toLowerCase(), match[2].replace(/^\[(.*)\]$|^["'](.*)["']$/, '$1$2').trim());
  }
  return fields;
}

/** A repeated heading is merged into the first, as (source, heading) identifies a chunk. */
function splitSections(lines: readonly string[]): KnowledgeChunk[] {
  const sections = new Map<string, string[]>([[OVERVIEW_HEADING, []]]);
  let current = sections.get(OVERVIEW_HEADING) ?? [];
  for (const line of lines) {
    const heading = /^##\s+(.+?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) {
      current.push(line);
      continue;
    }
    current = sections.get(heading) ?? [];
    sections.set(heading, current);
  }
  return [...sections]
    .map(([heading, content]) => ({ heading, content: content.join('\n').trim() }))
    .filter((chunk) => chunk.content !== '');
}

type KnowledgeDocument = KnowledgeFile & { source: string };

/** The folder's files, parsed, by name; null when the folder does not exist. */
async function readKnowledgeDir(dir: string): Promise<KnowledgeDocument[] | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const sources = names.filter((name) => /\.md$/i.test(name) && name.toLowerCase() !== 'readme.md').sort();
  return Promise.all(
    sources.map(async (source) => ({
      source,
      ...parseKnowledgeFile(source, await readFile(path.join(dir, source), 'utf8')),
    })),
  );
}

/** Everything that goes into a chunk's row: a change to any of it re-indexes the chunk. */
function chunkHash(document: KnowledgeDocument, chunk: KnowledgeChunk): string {
  const { title, product, keywords } = document;
  const fields = JSON.stringify([title, product, keywords, chunk.heading, chunk.content]);
  return createHash('sha256').update(fields).digest('hex');
}

/**
 * Brings `knowledge_chunks` in line with the folder in one transaction: changed sections
 * rewritten, removed sections and files deleted. A missing folder changes nothing (a deploy
 * without the folder must not wipe the index); an empty one empties it.
 */
export async function syncKnowledge(pool: Pool, dir: string, log: Logger): Promise<KnowledgeSyncResult> {
  const documents = await readKnowledgeDir(dir);
  if (documents === null) {
    log.warn({ dir }, 'knowledge folder not found; knowledge base left as it was');
    return { files: 0, chunks: 0, changed: 0, removed: 0 };
  }
  const result = await withTransaction(pool, async (client) => {
    const repo = createKnowledgeRepo(client);
    await repo.lockForSync();
    const stored = new Map(
      (await repo.listHashes()).map((row) => [`${row.source}\n${row.heading}`, row.contentHash]),
    );
    const totals = { files: documents.length, chunks: 0, changed: 0, removed: 0 };
    for (const document of documents) {
      for (const chunk of document.chunks) {
        totals.chunks += 1;
        const contentHash = chunkHash(document, chunk);
        if (stored.get(`${document.source}\n${chunk.heading}`) === contentHash) continue;
        const { source, product, title, keywords } = document;
        await repo.upsertChunk({ source, product, title, keywords, ...chunk, contentHash });
        totals.changed += 1;
      }
      const headings = document.chunks.map((chunk) => chunk.heading);
      totals.removed += await repo.deleteMissing(document.source, headings);
    }
    totals.removed += await repo.deleteSourcesNotIn(documents.map((document) => document.source));
    return totals;
  });
  log.info({ dir, ...result }, 'knowledge base synced');
  return result;
}

/** The products of the knowledge base with the names leads call them, for the offline extractor. */
export async function loadProductCatalogue(dir: string): Promise<ProductCatalogue> {
  const documents = (await readKnowledgeDir(dir)) ?? [];
  return documents.flatMap(({ product, keywords }) => (product === null ? [] : [{ product, keywords }]));
}
