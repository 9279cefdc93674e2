import { formatCnpj } from '../../domain/lead/extractors/cnpj.js';
import type { CompanyInput, DealInput, PersonInput } from './types.js';

/**
 * Our inputs as PipeRun's JSON (shared/contracts/piperun.md §5). Contact lists are camelCase
 * on input (`contactEmails: [{email}]`) although they come back snake_case. Undefined fields
 * are left out by JSON.stringify, so an update only sends what changes.
 */

const emailList = (emails: string[] | undefined) => emails?.map((email) => ({ email }));
const phoneList = (phones: string[] | undefined) => phones?.map((phone) => ({ phone }));

export function companyBody(input: Partial<CompanyInput>) {
  return {
    name: input.name,
    // §5.2: both formats are accepted; PipeRun stores and returns the formatted one.
    cnpj: input.cnpj === undefined ? undefined : formatCnpj(input.cnpj),
    city_id: input.cityId,
    owner_id: input.ownerId,
    external_code: input.externalCode,
    contactEmails: emailList(input.emails),
    contactPhones: phoneList(input.phones),
  };
}

export function personBody(input: PersonInput) {
  return {
    name: input.name,
    company_id: input.companyId,
    city_id: input.cityId,
    owner_id: input.ownerId,
    contactEmails: emailList(input.emails),
    contactPhones: phoneList(input.phones),
  };
}

export function dealBody(input: DealInput) {
  return {
    title: input.title,
    pipeline_id: input.pipelineId,
    stage_id: input.stageId,
    origin_id: input.originId,
    owner_id: input.ownerId,
    person_id: input.personId,
    company_id: input.companyId,
    reference: input.reference,
    temperature: input.temperature,
  };
}

/** §5.5: `text` is shown as HTML; the caller formats line breaks as `<br>`. */
export function noteBody(input: { dealId: number; text: string }) {
  return { text: input.text, deal_id: input.dealId };
}
