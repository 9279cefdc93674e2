import { fold } from './extractors/text.js';
import type { Intent } from './scoring.js';

/**
 * What the lead is after, from their own words: the strongest signal found wins, because a
 * student who "wants to buy" for a thesis is still a student. Text is folded (lowercase, no
 * accents) so WhatsApp spelling does not matter.
 */
const RULES: readonly { intent: Intent; pattern: RegExp }[] = [
  {
    intent: 'estudante',
    pattern:
      /\b(?:estudante|faculdade|universidade|tcc|trabalho (?:academico|de conclusao|da facul\w*)|monografia|mestrado|doutorado|pesquisa academica|sou aluno|sou aluna|projeto de escola)\b/,
  },
  {
    intent: 'outro',
    pattern:
      /\b(?:vaga|emprego|curriculo|trabalhar com voces|estagio|sou fornecedor|oferecer (?:nossos|meus) servicos|parceria comercial|vender para voces)\b/,
  },
  {
    // A purchase said in the negative is research, not buying: "sem previsão de compra".
    intent: 'pesquisa',
    pattern:
      /\b(?:sem (?:previsao|plano|data|intencao) de compr\w*|(?:ainda )?nao (?:vamos|vou|pretend\w*|planej\w*|estamos pensando em|penso em|e pra|e para) compr\w*|ainda nao (?:e )?(?:pra )?compr\w*)\b/,
  },
  { intent: 'revenda', pattern: /\b(?:revend\w*|representante comercial|distribuidor\w*|revenda)\b/ },
  {
    intent: 'compra',
    pattern:
      /\b(?:compr(?:ar|a|ando|aria)|adquirir|aquisicao|orcamento|cotacao|proposta|preciso de (?:uma|um)|precisamos de|queremos (?:uma|um|comprar)|quero (?:uma|um|comprar)|investir em|substituir (?:a|nossa|nosso)|ampliar (?:a|nossa) (?:linha|producao)|automatizar)\b/,
  },
  {
    intent: 'pesquisa',
    pattern:
      /\b(?:so (?:pesquisando|olhando|cotando)|apenas pesquisando|conhecer (?:os|as) (?:equipamentos|maquinas|produtos)|curiosidade|sem previsao|futuramente|mais pra frente)\b/,
  },
];

export function detectIntent(text: string): Intent | null {
  const folded = fold(text);
  return RULES.find((rule) => rule.pattern.test(folded))?.intent ?? null;
}

/** Across a conversation the strongest signal stays: later small talk does not erase "sou estudante". */
const STRENGTH: Readonly<Record<Intent, number>> = {
  estudante: 5,
  outro: 4,
  compra: 3,
  revenda: 2,
  pesquisa: 1,
};

export function strongestIntent(current: Intent | null, next: Intent | null): Intent | null {
  if (!current) return next;
  if (!next) return current;
  return STRENGTH[next] > STRENGTH[current] ? next : current;
}
