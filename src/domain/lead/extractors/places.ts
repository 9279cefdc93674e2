/**
 * Brazilian states and the cities leads most often name: the 27 capitals and the big industrial
 * cities. Data only; the matching rules live in location.ts. Aliases are folded (lowercase, no
 * accents); the canonical names keep their accents for the CRM.
 */
import { fold } from './text.js';

export const UF_CODES = [
  'AC',
  'AL',
  'AP',
  'AM',
  'BA',
  'CE',
  'DF',
  'ES',
  'GO',
  'MA',
  'MT',
  'MS',
  'MG',
  'PA',
  'PB',
  'PR',
  'PE',
  'PI',
  'RJ',
  'RN',
  'RS',
  'RO',
  'RR',
  'SC',
  'SP',
  'SE',
  'TO',
] as const;
export type UfCode = (typeof UF_CODES)[number];

export type StateEntry = {
  uf: UfCode;
  name: string;
  aliases: readonly string[];
  /** Aliases that are also ordinary words ("minas", "para"): they need a place cue or accents. */
  cueOnlyAliases?: readonly string[];
};

export const STATES: readonly StateEntry[] = [
  { uf: 'AC', name: 'Acre', aliases: ['acre'] },
  { uf: 'AL', name: 'Alagoas', aliases: ['alagoas'] },
  { uf: 'AP', name: 'Amapá', aliases: ['amapa'] },
  { uf: 'AM', name: 'Amazonas', aliases: ['amazonas'] },
  { uf: 'BA', name: 'Bahia', aliases: ['bahia', 'baia'] },
  { uf: 'CE', name: 'Ceará', aliases: ['ceara'] },
  { uf: 'DF', name: 'Distrito Federal', aliases: ['distrito federal'] },
  { uf: 'ES', name: 'Espírito Santo', aliases: ['espirito santo', 'esp santo'] },
  { uf: 'GO', name: 'Goiás', aliases: ['goias', 'goiaz'] },
  { uf: 'MA', name: 'Maranhão', aliases: ['maranhao', 'maranhan'] },
  { uf: 'MT', name: 'Mato Grosso', aliases: ['mato grosso', 'matogrosso'] },
  { uf: 'MS', name: 'Mato Grosso do Sul', aliases: ['mato grosso do sul', 'matogrosso do sul'] },
  { uf: 'MG', name: 'Minas Gerais', aliases: ['minas gerais', 'minas gerias'], cueOnlyAliases: ['minas'] },
  { uf: 'PA', name: 'Pará', aliases: [], cueOnlyAliases: ['para'] },
  { uf: 'PB', name: 'Paraíba', aliases: ['paraiba'] },
  { uf: 'PR', name: 'Paraná', aliases: ['parana'] },
  { uf: 'PE', name: 'Pernambuco', aliases: ['pernambuco', 'pernanbuco'] },
  { uf: 'PI', name: 'Piauí', aliases: ['piaui'] },
  { uf: 'RJ', name: 'Rio de Janeiro', aliases: ['rio de janeiro'] },
  { uf: 'RN', name: 'Rio Grande do Norte', aliases: ['rio grande do norte'] },
  { uf: 'RS', name: 'Rio Grande do Sul', aliases: ['rio grande do sul'] },
  { uf: 'RO', name: 'Rondônia', aliases: ['rondonia'] },
  { uf: 'RR', name: 'Roraima', aliases: ['roraima'] },
  { uf: 'SC', name: 'Santa Catarina', aliases: ['santa catarina', 'sta catarina', 'sta. catarina'] },
  { uf: 'SP', name: 'São Paulo', aliases: ['sao paulo', 'sao paolo'] },
  { uf: 'SE', name: 'Sergipe', aliases: ['sergipe'] },
  { uf: 'TO', name: 'Tocantins', aliases: ['tocantins'] },
];

export type CityEntry = {
  name: string;
  uf: UfCode;
  aliases: readonly string[];
  /** Names and nicknames that are also common words or people's names ("Natal", "Santos", "rio"). */
  cueOnlyAliases: readonly string[];
};

type CityRow = readonly [
  name: string,
  uf: UfCode,
  extra?: { aliases?: string[]; cueOnlyAliases?: string[]; needsCue?: boolean },
];

const CUE = { needsCue: true };

const CITY_ROWS: readonly CityRow[] = [
  // Capitals.
  ['Rio Branco', 'AC', CUE],
  ['Maceió', 'AL'],
  ['Macapá', 'AP'],
  ['Manaus', 'AM'],
  ['Salvador', 'BA', CUE],
  ['Fortaleza', 'CE', CUE],
  ['Brasília', 'DF', { aliases: ['bsb'] }],
  ['Vitória', 'ES', CUE],
  ['Goiânia', 'GO'],
  ['São Luís', 'MA', { aliases: ['sao luiz'] }],
  ['Cuiabá', 'MT'],
  ['Campo Grande', 'MS'],
  ['Belo Horizonte', 'MG', { aliases: ['bh', 'beaga'] }],
  ['Belém', 'PA', CUE],
  ['João Pessoa', 'PB', CUE],
  ['Curitiba', 'PR', { aliases: ['curitba'] }],
  ['Recife', 'PE'],
  ['Teresina', 'PI'],
  ['Rio de Janeiro', 'RJ', { cueOnlyAliases: ['rio'] }],
  ['Natal', 'RN', CUE],
  ['Porto Alegre', 'RS', { aliases: ['poa'] }],
  ['Porto Velho', 'RO'],
  ['Boa Vista', 'RR', CUE],
  ['Florianópolis', 'SC', { aliases: ['floripa', 'florianopoles'] }],
  ['São Paulo', 'SP', { aliases: ['sampa'] }],
  ['Aracaju', 'SE'],
  ['Palmas', 'TO', CUE],
  // Industrial cities, by state.
  ['Campinas', 'SP'],
  ['Guarulhos', 'SP'],
  ['Osasco', 'SP'],
  ['Barueri', 'SP'],
  ['Santo André', 'SP'],
  ['São Bernardo do Campo', 'SP', { aliases: ['sao bernardo', 'sbc'] }],
  ['São Caetano do Sul', 'SP', { aliases: ['sao caetano'] }],
  ['Diadema', 'SP', CUE],
  ['Mogi das Cruzes', 'SP'],
  ['Sorocaba', 'SP'],
  ['Jundiaí', 'SP'],
  ['Piracicaba', 'SP'],
  ['Limeira', 'SP', CUE],
  ['Americana', 'SP', CUE],
  ['Sumaré', 'SP'],
  ['Hortolândia', 'SP'],
  ['Indaiatuba', 'SP'],
  ['Ribeirão Preto', 'SP', { cueOnlyAliases: ['ribeirao'] }],
  ['São José do Rio Preto', 'SP', { aliases: ['sjrp'], cueOnlyAliases: ['rio preto'] }],
  ['São José dos Campos', 'SP', { aliases: ['sjc', 'sao jose dos campo'] }],
  ['Taubaté', 'SP'],
  ['Santos', 'SP', CUE],
  ['Bauru', 'SP'],
  ['Franca', 'SP', CUE],
  ['Araraquara', 'SP'],
  ['São Carlos', 'SP'],
  ['Marília', 'SP', CUE],
  ['Presidente Prudente', 'SP'],
  ['Contagem', 'MG', CUE],
  ['Betim', 'MG'],
  ['Uberlândia', 'MG'],
  ['Uberaba', 'MG'],
  ['Juiz de Fora', 'MG'],
  ['Montes Claros', 'MG'],
  ['Ipatinga', 'MG'],
  ['Divinópolis', 'MG'],
  ['Pouso Alegre', 'MG'],
  ['Niterói', 'RJ'],
  ['Duque de Caxias', 'RJ'],
  ['Nova Iguaçu', 'RJ'],
  ['Volta Redonda', 'RJ'],
  ['Petrópolis', 'RJ'],
  ['Macaé', 'RJ'],
  ['Resende', 'RJ', CUE],
  ['Londrina', 'PR'],
  ['Maringá', 'PR'],
  ['Ponta Grossa', 'PR', CUE],
  ['Cascavel', 'PR', CUE],
  ['São José dos Pinhais', 'PR'],
  ['Foz do Iguaçu', 'PR'],
  ['Araucária', 'PR', CUE],
  ['Joinville', 'SC', { aliases: ['joinvile', 'joiville'] }],
  ['Blumenau', 'SC'],
  ['Itajaí', 'SC'],
  ['Chapecó', 'SC'],
  ['Criciúma', 'SC'],
  ['Jaraguá do Sul', 'SC'],
  ['Brusque', 'SC'],
  ['Caxias do Sul', 'RS'],
  ['Canoas', 'RS', CUE],
  ['Novo Hamburgo', 'RS'],
  ['São Leopoldo', 'RS'],
  ['Gravataí', 'RS'],
  ['Pelotas', 'RS', CUE],
  ['Santa Maria', 'RS', CUE],
  ['Passo Fundo', 'RS'],
  ['Bento Gonçalves', 'RS', CUE],
  ['Anápolis', 'GO'],
  ['Aparecida de Goiânia', 'GO'],
  ['Rio Verde', 'GO', CUE],
  ['Vila Velha', 'ES'],
  ['Serra', 'ES', CUE],
  ['Cariacica', 'ES'],
  ['Feira de Santana', 'BA'],
  ['Camaçari', 'BA'],
  ['Vitória da Conquista', 'BA'],
  ['Jaboatão dos Guararapes', 'PE', { aliases: ['jaboatao'] }],
  ['Caruaru', 'PE'],
  ['Petrolina', 'PE'],
  ['Caucaia', 'CE'],
  ['Maracanaú', 'CE'],
  ['Juazeiro do Norte', 'CE'],
  ['Ananindeua', 'PA'],
  ['Campina Grande', 'PB'],
  ['Mossoró', 'RN'],
  ['Imperatriz', 'MA', CUE],
  ['Rondonópolis', 'MT'],
  ['Várzea Grande', 'MT'],
  ['Sinop', 'MT'],
  ['Dourados', 'MS', CUE],
  ['Três Lagoas', 'MS'],
  ['Araguaína', 'TO'],
];

export const CITIES: readonly CityEntry[] = CITY_ROWS.map(([name, uf, extra]) => {
  const ownName = [fold(name)];
  const isNameAmbiguous = extra?.needsCue ?? false;
  return {
    name,
    uf,
    aliases: [...(isNameAmbiguous ? [] : ownName), ...(extra?.aliases ?? [])],
    cueOnlyAliases: [...(isNameAmbiguous ? ownName : []), ...(extra?.cueOnlyAliases ?? [])],
  };
});
