import { z } from 'zod';
import { isValidCnpj } from '../../domain/lead/extractors/cnpj.js';
import { UF_CODES } from '../../domain/lead/extractors/places.js';
import { defineTool } from './tool.js';

/**
 * Tools that create our own records from the conversation: a quote request for the SDR team
 * and the lead's company. Both are idempotent, so a model calling twice creates one row.
 */
const digitsOnly = (value: string) => value.replace(/\D/g, '');

export const createQuoteRequestTool = defineTool({
  name: 'create_quote_request',
  description:
    'Registra um pedido de proposta para o time comercial quando o lead quer uma proposta e a aplicação está clara. ' +
    'Não informe valores nem prazos ao lead: o consultor apresenta a proposta.',
  input: z.object({
    product: z.string().trim().min(2).max(120),
    application: z.string().trim().max(300).optional(),
    volume: z.string().trim().max(120).optional(),
    notes: z.string().trim().max(600).optional(),
  }),
  output: z.object({
    quoteId: z.string().nullable(),
    created: z.boolean(),
    mode: z.enum(['stub', 'live']),
  }),
  async run(args, { mode, db, leadId, conversationId }) {
    if (mode === 'stub') return { quoteId: null, created: false, mode };
    const inserted = await db.query<{ id: string }>(
      `insert into quotes (lead_id, conversation_id, product, application, volume, notes)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (lead_id, lower(product)) where status in ('requested', 'in_progress') do nothing
         returning id`,
      [
        leadId,
        conversationId,
        args.product,
        args.application ?? null,
        args.volume ?? null,
        args.notes ?? null,
      ],
    );
    if (inserted.rows[0]) return { quoteId: inserted.rows[0].id, created: true, mode };
    const existing = await db.query<{ id: string }>(
      `select id from quotes where lead_id = $1 and lower(product) = lower($2)
           and status in ('requested', 'in_progress')`,
      [leadId, args.product],
    );
    return { quoteId: existing.rows[0]?.id ?? null, created: false, mode };
  },
});

export const createCompanyTool = defineTool({
  name: 'create_company',
  description:
    'Registra a empresa do lead quando você tem o CNPJ (validado pelos dígitos verificadores) e o nome.',
  input: z.object({
    cnpj: z
      .string()
      .trim()
      .refine(isValidCnpj, 'CNPJ inválido: confira os 14 dígitos com o lead')
      .transform(digitsOnly),
    name: z.string().trim().min(2).max(160),
    city: z.string().trim().max(80).optional(),
    uf: z
      .preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), z.enum(UF_CODES))
      .optional(),
  }),
  output: z.object({
    companyId: z.string().nullable(),
    created: z.boolean(),
    mode: z.enum(['stub', 'live']),
  }),
  async run(args, { mode, db, leadId }) {
    if (mode === 'stub') return { companyId: null, created: false, mode };
    const result = await db.query<{ id: string; created: boolean }>(
      `insert into companies (cnpj, name, city, uf, lead_id) values ($1, $2, $3, $4, $5)
         on conflict (cnpj) do update set
           name = coalesce(companies.name, excluded.name),
           city = coalesce(companies.city, excluded.city),
           uf = coalesce(companies.uf, excluded.uf),
           updated_at = now()
         returning id, (xmax = 0) as created`,
      [args.cnpj, args.name, args.city ?? null, args.uf ?? null, leadId],
    );
    const row = result.rows[0];
    return { companyId: row?.id ?? null, created: row?.created ?? false, mode };
  },
});
