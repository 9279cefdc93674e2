import { describe, expect, it } from 'vitest';
import { type CommercialKind, findCommercialTerms } from './commercial-terms.js';

function kindsIn(reply: string): CommercialKind[] {
  return [...new Set(findCommercialTerms(reply).map((hit) => hit.kind))];
}

describe('findCommercialTerms: money', () => {
  it.each([
    'A seladora sai por R$ 45.000.',
    'Fica R$45 mil com a esteira.',
    'São 45.000,00 reais sem impostos.',
    'Fica em 45 mil reais.',
    'A máquina custa uns 40 mil.',
    'Fica em torno de quarenta mil.',
    'Uma linha assim fica cerca de 120 mil.',
    'Temos opções a partir de 80k.',
    'O módulo importado sai US$ 10k.',
    'Sai por volta de 9 mil.',
    'fica rs 45 mil com tudo',
    'Não sai por menos de meio milhão.',
    'É coisa de 30 e poucos mil.',
    'Fica 22 mil e quinhentos.',
  ])('reports a money amount in %j', (reply) => {
    expect(kindsIn(reply)).toContain('price');
  });

  it('quotes the original text, accents and currency sign included', () => {
    expect(findCommercialTerms('Olha, o preço fica em R$ 45.000,00 à vista.')).toEqual([
      { kind: 'price', match: 'R$ 45.000,00', reason: 'money amount' },
      { kind: 'payment_terms', match: 'à vista', reason: 'states a payment condition' },
    ]);
  });

  it('reads through case, missing accents and odd spaces', () => {
    expect(kindsIn('O PREÇO\u00a0É\u00a012.000 FECHADO')).toEqual(['price']);
    expect(kindsIn('o preco e 12.000 fechado')).toEqual(['price']);
  });
});

describe('findCommercialTerms: price words', () => {
  it.each([
    'O valor fica em torno de…',
    'Ela custa aproximadamente…',
    'O investimento é de…',
    'A dosadora sai por…',
    'Consigo te passar por 18.500.',
    'A licença custa 2.500 por ano.',
    'O preço de tabela já está atualizado.',
  ])('reports %j as asserting a price', (reply) => {
    expect(kindsIn(reply)).toEqual(['price']);
  });

  it.each([
    'O valor será apresentado por um consultor.',
    'A proposta será apresentada por um consultor depois de entender a aplicação.',
    'Não informamos preços por aqui.',
    'O orçamento é feito pelo consultor após entender a aplicação.',
    'O valor é definido a partir da análise da sua aplicação.',
    'Não trabalhamos com tabela de preços, cada projeto é configurado.',
    'O valor nominal de tensão é 380 V.',
    'O orçamento de 2 envasadoras leva em conta a capacidade de 500 kg/h.',
  ])('allows the deflection or a technical value in %j', (reply) => {
    expect(findCommercialTerms(reply)).toEqual([]);
  });
});

describe('findCommercialTerms: discounts and payment terms', () => {
  it.each([
    ['Consigo 15% de desconto pra você.', 'discount'],
    ['Pagando 10% à vista fica melhor.', 'discount'],
    ['Temos um desconto especial este mês.', 'discount'],
    ['Temos uma condição especial de pagamento.', 'discount'],
    ['Dá pra conseguir um abatimento.', 'discount'],
    ['A seladora está em promoção.', 'discount'],
    ['Pode ser à vista.', 'payment_terms'],
    ['Dá pra fazer parcelado em 10x.', 'payment_terms'],
    ['Você paga em 12 vezes.', 'payment_terms'],
    ['Trabalhamos com boleto 30/60/90.', 'payment_terms'],
    ['A condição é entrada de 30%.', 'payment_terms'],
    ['Temos financiamento pelo banco parceiro.', 'payment_terms'],
  ] as const)('reports %j as %s', (reply, kind) => {
    expect(kindsIn(reply)).toContain(kind);
  });

  it.each([
    'A dosadora tem precisão de 99,5%.',
    'Opera com umidade até 80%.',
    'A máquina é 3x mais rápida que o envase manual.',
    'A linha ocupa 6 x 3 metros.',
    'Não temos promoção por aqui; as condições são apresentadas pelo consultor.',
    'Descontos e condições comerciais são tratados diretamente com o consultor.',
    'Vocês pretendem usar recursos próprios ou financiamento?',
    'Esse modelo foi descontinuado em 2019.',
    'Atendemos frigoríficos, inclusive a linha de abate.',
  ])('allows %j', (reply) => {
    expect(findCommercialTerms(reply)).toEqual([]);
  });

  it('keeps an offer made next to a deflection', () => {
    expect(kindsIn('Temos desconto especial, que será apresentado pelo consultor.')).toEqual(['discount']);
  });
});

describe('findCommercialTerms: deadlines', () => {
  it.each([
    'A entrega é em 30 dias úteis.',
    'O prazo de entrega é de 45 dias.',
    'A máquina fica pronta em 2 semanas.',
    'Conseguimos entregar até março.',
    'O lead time é de 60 dias.',
    'A gente consegue em até 20 dias.',
    'Despachamos em uma semana.',
    'A fabricação leva trinta dias.',
    'Temos pronta entrega.',
    'Normalmente leva 45 dias.',
    'Previsão de embarque: 15/05.',
  ])('reports %j', (reply) => {
    expect(kindsIn(reply)).toEqual(['deadline']);
  });

  it.each([
    'Um consultor retorna em até 1 dia útil.',
    'O consultor entra em contato em até 24 horas.',
    'O atendimento é de segunda a sexta, das 8h às 18h.',
    'A garantia é de 12 meses contra defeitos de fabricação.',
    'Ela opera 24 horas por dia, em 3 turnos.',
    'A troca de formato leva 15 minutos.',
    'Temos mais de 25 anos de experiência.',
    'O compressor precisa entregar 300 litros por minuto.',
  ])('allows %j', (reply) => {
    expect(findCommercialTerms(reply)).toEqual([]);
  });
});

describe('findCommercialTerms: harmless numbers', () => {
  it.each([
    'A EV-3000 faz 2.000 frascos por hora.',
    'O misturador processa 500 kg/h.',
    'São 60 ciclos por minuto na linha X200.',
    'Trabalhamos em 220 V ou 380V trifásico.',
    'A esteira mede 3 metros por 0,6 m.',
    'Anotei o CNPJ 11.222.333/0001-81.',
    'O telefone é (54) 3222-1100 e o CEP 95110-000.',
    'Estamos no mercado desde 1998 e atendemos os 27 estados.',
    'Temos mais de 3 mil equipamentos instalados.',
  ])('allows %j', (reply) => {
    expect(findCommercialTerms(reply)).toEqual([]);
  });
});

describe('findCommercialTerms: words with another meaning', () => {
  it.each([
    'A Seleto participa da Fispal em junho, com uma linha de produção completa.',
    'O consultor pode agendar uma visita à nossa fábrica na semana que vem.',
    'Pronto, anotei: o consultor retorna em até 1 dia útil.',
    'O produto exige condições especiais de higiene e armazenamento.',
    'Posso te mandar a vista explodida do equipamento.',
    'Uma parcela grande dos nossos clientes é do setor de laticínios.',
    'A produtividade aumenta 3x.',
    'A máquina produz 4.000 unidades em 1 hora.',
    'A dosagem é feita em 2 vezes para evitar espuma.',
    'Vocês mantêm estoque de 30 dias de embalagens?',
    'A maturação do queijo leva 60 dias, certo?',
    'Emitimos cupom fiscal e nota fiscal eletrônica.',
  ])('allows %j', (reply) => {
    expect(findCommercialTerms(reply)).toEqual([]);
  });

  it('still reports the commercial sense of the same words', () => {
    expect(kindsIn('Sua envasadora entra na produção de maio.')).toEqual(['deadline']);
    expect(kindsIn('A máquina fica pronta em 20 dias.')).toEqual(['deadline']);
    expect(kindsIn('Temos condições especiais na feira.')).toEqual(['discount']);
    expect(kindsIn('Dá pra pagar em 3x no cartão.')).toEqual(['payment_terms']);
    expect(kindsIn('Despachamos em 48 horas.')).toEqual(['deadline']);
  });
});
