/**
 * What our CRM sync needs from PipeRun (../shared/contracts/piperun.md), in our own camelCase
 * terms. The client maps these to PipeRun's JSON (snake_case, camelCase contact lists, the
 * `{success, message, data, meta}` envelope) and back, tolerating its documented quirks.
 */
export type PipeRunCity = { id: number; name: string; uf: string };

export type PipeRunCompany = { id: number; name: string; cnpj: string | null; cityId: number | null };
export type CompanyInput = {
  name: string;
  cnpj?: string;
  cityId?: number;
  ownerId?: number;
  emails?: string[];
  phones?: string[];
  /** Our integration key; filterable on GET /companies. */
  externalCode?: string;
};

export type PipeRunPerson = {
  id: number;
  name: string;
  companyId: number | null;
  emails: string[];
  phones: string[];
};
export type PersonInput = {
  name: string;
  companyId?: number;
  cityId?: number;
  ownerId?: number;
  emails?: string[];
  phones?: string[];
};

export type PipeRunDeal = { id: number; title: string; reference: string | null; personId: number | null };
export type DealInput = {
  title: string;
  pipelineId: number;
  stageId: number;
  originId?: number;
  ownerId?: number;
  personId?: number;
  companyId?: number;
  /** Our key for the lead (`seleto:lead:<uuid>`), found again after a lost response. */
  reference: string;
  /** PipeRun's scale: 1 muito quente, 2 quente, 3 morna, 4 fria. */
  temperature?: 1 | 2 | 3 | 4;
};

export type PipeRunNote = { id: number; dealId: number | null; text: string };

export type PipeRunClient = {
  /** Exact match after folding accents and case, UF compared too; null when PipeRun has none. */
  findCity(name: string, uf: string): Promise<PipeRunCity | null>;
  findCompanyByCnpj(cnpj: string): Promise<PipeRunCompany | null>;
  createCompany(input: CompanyInput): Promise<PipeRunCompany>;
  updateCompany(id: number, input: Partial<CompanyInput>): Promise<PipeRunCompany>;
  /** GET /persons?company_id=&name= (a search miss, 200 [] or 404, is []). */
  findPersons(filter: { companyId?: number; name?: string }): Promise<PipeRunPerson[]>;
  createPerson(input: PersonInput): Promise<PipeRunPerson>;
  /** GET /deals?person_id=&pipeline_id= (all pages). */
  findDeals(filter: { personId?: number; pipelineId?: number }): Promise<PipeRunDeal[]>;
  createDeal(input: DealInput): Promise<PipeRunDeal>;
  /** GET /notes?deal_id= (all pages). */
  findNotes(dealId: number): Promise<PipeRunNote[]>;
  createNote(input: { dealId: number; text: string }): Promise<PipeRunNote>;
  isCircuitOpen(): boolean;
  close(): Promise<void>;
};
