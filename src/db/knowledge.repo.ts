import { fold } from '../domain/lead/extractors/text.js';
import type { Queryable } from './pool.js';

/** Keeps two instances starting together from interleaving their syncs of the knowledge base. */
const KNOWLEDGE_SYNC_LOCK_KEY = 7_162_534_004;

export type KnowledgeChunkRow = {
  source: string;
  product: string | null;
  title: string;
  heading: string;
  content: string;
  contentHash: string;
  /** Extra words to find the chunk by (names and misspellings), weighted like the title. */
  keywords: readonly string[];
};

export type KnowledgeHit = {
  source: string;
  product: string | null;
  title: string;
  heading: string;
  content: string;
  rank: number;
};

export type KnowledgeHash = { source: string; heading: string; contentHash: string };

type HitRow = Omit<KnowledgeHit, 'rank'> & { rank: number | string };

export function createKnowledgeRepo(db: Queryable) {
  /** Call inside the sync's transaction; released at commit or rollback. */
  async function lockForSync(): Promise<void> {
    await db.query('select pg_advisory_xact_lock($1)', [KNOWLEDGE_SYNC_LOCK_KEY]);
  }

  // Both sides are folded (lowercase, no accents) because leads type "maquina" for "máquina"
  // and the embedded PGlite has no `unaccent`.
  async function upsertChunk(chunk: KnowledgeChunkRow): Promise<void> {
    const weighted = fold([chunk.title, chunk.heading, ...chunk.keywords].join(' '));
    await db.query(
      `insert into knowledge_chunks (source, product, title, heading, content, content_hash, search)
       values ($1, $2, $3, $4, $5, $6,
               setweight(to_tsvector('portuguese', $7), 'A') || setweight(to_tsvector('portuguese', $8), 'B'))
       on conflict (source, heading) do update
         set product = excluded.product, title = excluded.title, content = excluded.content,
             content_hash = excluded.content_hash, search = excluded.search, updated_at = now()`,
      [
        chunk.source,
        chunk.product,
        chunk.title,
        chunk.heading,
        chunk.content,
        chunk.contentHash,
        weighted,
        fold(chunk.content),
      ],
    );
  }

  /** Deletes the sections of `source` whose heading is no longer in the file; returns how many. */
  async function deleteMissing(source: string, keepHeadings: readonly string[]): Promise<number> {
    const result = await db.query(
      'delete from knowledge_chunks where source = $1 and not (heading = any($2::text[]))',
      [source, [...keepHeadings]],
    );
    return result.rowCount ?? 0;
  }

  /** Deletes every chunk of a file that is no longer in the folder; returns how many. */
  async function deleteSourcesNotIn(sources: readonly string[]): Promise<number> {
    const result = await db.query('delete from knowledge_chunks where not (source = any($1::text[]))', [
      [...sources],
    ]);
    return result.rowCount ?? 0;
  }

  async function listHashes(): Promise<KnowledgeHash[]> {
    const result = await db.query<KnowledgeHash>(
      'select source, heading, content_hash as "contentHash" from knowledge_chunks',
    );
    return result.rows;
  }

  /**
   * Any word of the query may match (OR of its lexemes), as leads write loose sentences; the
   * sections matching the most distinct words come first ("envasadora para xarope": the
   * section about syrup before one that repeats "envasadora"), then by ts_rank_cd. The lexemes
   * come from to_tsvector, which drops stopwords; they are cast to tsquery quoted rather than
   * passed to to_tsquery, which would stem the stems a second time.
   */
  async function search(query: string, limit = 3): Promise<KnowledgeHit[]> {
    const folded = fold(query).trim();
    if (folded === '') return [];
    const result = await db.query<HitRow>(
      `with q as (
         select array_agg(lexeme) as lexemes, string_agg(quote_literal(lexeme), ' | ')::tsquery as terms
         from unnest(to_tsvector('portuguese', $1))
       )
       select source, product, title, heading, content, ts_rank_cd(search, q.terms) as rank
       from knowledge_chunks, q
       where q.terms is not null and search @@ q.terms and ts_rank_cd(search, q.terms) > 0
       order by (select count(*) from unnest(q.lexemes) as word where word = any(tsvector_to_array(search))) desc,
                rank desc, source, heading
       limit $2`,
      [folded, limit],
    );
    return result.rows.map((row) => ({ ...row, rank: Number(row.rank) }));
  }

  return { lockForSync, upsertChunk, deleteMissing, deleteSourcesNotIn, listHashes, search };
}

export type KnowledgeRepo = ReturnType<typeof createKnowledgeRepo>;
