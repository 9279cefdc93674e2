import { z } from 'zod';
import { createKnowledgeRepo } from '../../db/knowledge.repo.js';
import { defineTool } from './tool.js';

/** Long enough for a section of the catalogue, short enough to keep the prompt small. */
const EXCERPT_CHARS = 700;
const RESULTS = 3;

/** Read-only, so stub and live both search: the model needs the facts either way. */
export const searchKnowledgeTool = defineTool({
  name: 'search_knowledge',
  description:
    'Busca no catálogo e no FAQ da Seleto. Use antes de afirmar qualquer coisa sobre equipamentos, aplicações ou a empresa; ' +
    'cite só o que vier no resultado.',
  input: z.object({ query: z.string().trim().min(2).max(200) }),
  output: z.object({
    found: z.boolean(),
    results: z.array(z.object({ title: z.string(), heading: z.string(), excerpt: z.string() })),
    instruction: z.string().optional(),
  }),
  async run({ query }, { db }) {
    const hits = await createKnowledgeRepo(db).search(query, RESULTS);
    if (hits.length === 0) {
      return {
        found: false,
        results: [],
        instruction: 'Nada encontrado: diga ao lead que vai confirmar com um consultor; não invente.',
      };
    }
    return {
      found: true,
      results: hits.map((hit) => ({
        title: hit.title,
        heading: hit.heading,
        excerpt: hit.content.length > EXCERPT_CHARS ? `${hit.content.slice(0, EXCERPT_CHARS)}…` : hit.content,
      })),
    };
  },
});
