import { z } from 'zod';
import type { PipeRunCity, PipeRunCompany, PipeRunDeal, PipeRunNote, PipeRunPerson } from './types.js';

/**
 * PipeRun answers we read (shared/contracts/piperun.md), parsed loosely: the official examples
 * disagree with the schemas (§1), empty values are `null` or `""` (§0), ids may come as numeric
 * strings, and extra fields are allowed everywhere. Record schemas map straight to our types.
 */

const blankToNull = (value: unknown) => (value === '' || value === undefined ? null : value);
const numericStringToNumber = (value: unknown) =>
  typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;

const idSchema = z.preprocess(numericStringToNumber, z.number().int());
const optionalIdSchema = z.preprocess(
  (value) => numericStringToNumber(blankToNull(value)),
  z.number().int().nullable(),
);
const optionalTextSchema = z.preprocess(
  (value) => (typeof value === 'number' ? String(value) : blankToNull(value)),
  z.string().nullable(),
);
const textSchema = z.preprocess((value) => value ?? '', z.string());

/**
 * §1: nested lists come as an array, a single object (`"contact_emails": {…}` in the create
 * examples), `{}` or `[]`, or an object keyed by position (a PHP array after filtering).
 */
function toItemList(value: unknown): unknown {
  if (value === null || value === undefined || value === '') return [];
  if (Array.isArray(value) || typeof value !== 'object') return value;
  const values = Object.values(value);
  const isSingleItem = values.some((entry) => entry === null || typeof entry !== 'object');
  return isSingleItem ? [value] : values;
}

function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess(toItemList, z.array(item));
}

const emailListSchema = listOf(z.looseObject({ email: optionalTextSchema }));
const phoneListSchema = listOf(z.looseObject({ phone: optionalTextSchema }));

export const citySchema = z
  .looseObject({ id: idSchema, name: textSchema, uf: textSchema })
  .transform((city): PipeRunCity => ({ id: city.id, name: city.name, uf: city.uf }));

export const companySchema = z
  .looseObject({
    id: idSchema,
    name: textSchema,
    cnpj: optionalTextSchema,
    city_id: optionalIdSchema,
  })
  .transform(
    (company): PipeRunCompany => ({
      id: company.id,
      name: company.name,
      cnpj: company.cnpj,
      cityId: company.city_id,
    }),
  );

export const personSchema = z
  .looseObject({
    id: idSchema,
    name: textSchema,
    // §5.3: `company_id` is missing from the create example's answer.
    company_id: optionalIdSchema,
    contact_emails: emailListSchema,
    contact_phones: phoneListSchema,
  })
  .transform(
    (person): PipeRunPerson => ({
      id: person.id,
      name: person.name,
      companyId: person.company_id,
      emails: person.contact_emails.flatMap((item) => (item.email ? [item.email] : [])),
      phones: person.contact_phones.flatMap((item) => (item.phone ? [item.phone] : [])),
    }),
  );

export const dealSchema = z
  .looseObject({
    id: idSchema,
    title: textSchema,
    reference: optionalTextSchema,
    person_id: optionalIdSchema,
  })
  .transform(
    (deal): PipeRunDeal => ({
      id: deal.id,
      title: deal.title,
      reference: deal.reference,
      personId: deal.person_id,
    }),
  );

export const noteSchema = z
  .looseObject({ id: idSchema, deal_id: optionalIdSchema, text: textSchema })
  .transform((note): PipeRunNote => ({ id: note.id, dealId: note.deal_id, text: note.text }));

const countSchema = z.preprocess((value) => numericStringToNumber(blankToNull(value)), z.number().nullable());

/** §2: the opaque cursor; "" and null both mean "no more pages". */
const cursorValueSchema = z.preprocess(
  (value) => (typeof value === 'number' ? String(value) : blankToNull(value)),
  z.string().nullable(),
);

/** §2: cursor meta (current scheme) or legacy page meta; an empty PHP `meta` arrives as `[]`. */
export const metaSchema = z.preprocess(
  (value) => (Array.isArray(value) || value === null || value === undefined ? {} : value),
  z.looseObject({
    cursor: z.looseObject({ next: cursorValueSchema }).nullish(),
    total: countSchema,
    count: countSchema,
    per_page: countSchema,
    current_page: countSchema,
    total_pages: countSchema,
  }),
);

/** §1: a single record is an object; POST /companies documents a one-element array. */
const unwrapSingle = (value: unknown) => (Array.isArray(value) && value.length === 1 ? value[0] : value);

function singleResponseSchema<T extends z.ZodType>(record: T) {
  return z.looseObject({
    message: z.string().optional(),
    data: z.preprocess(unwrapSingle, record),
    meta: metaSchema,
  });
}

function listResponseSchema<T extends z.ZodType>(record: T) {
  return z.looseObject({ message: z.string().optional(), data: listOf(record), meta: metaSchema });
}

export const cityListResponseSchema = listResponseSchema(citySchema);
export const companyResponseSchema = singleResponseSchema(companySchema);
export const companyListResponseSchema = listResponseSchema(companySchema);
export const personResponseSchema = singleResponseSchema(personSchema);
export const personListResponseSchema = listResponseSchema(personSchema);
export const dealResponseSchema = singleResponseSchema(dealSchema);
export const dealListResponseSchema = listResponseSchema(dealSchema);
export const noteResponseSchema = singleResponseSchema(noteSchema);
export const noteListResponseSchema = listResponseSchema(noteSchema);

/**
 * §3: `{success: false, message, data?}`; `data` maps each invalid field to its (Portuguese)
 * message on a 422. One documented 401 has the typo key `" message"`.
 */
export const errorBodySchema = z
  .looseObject({
    message: z.unknown().optional(),
    ' message': z.unknown().optional(),
    data: z.unknown().optional(),
  })
  .transform((body) => {
    const message = [body.message, body[' message']].find((value) => typeof value === 'string');
    return { message: typeof message === 'string' ? message : null, data: body.data ?? null };
  });
