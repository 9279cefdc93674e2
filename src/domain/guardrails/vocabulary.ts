/**
 * The words the commercial-terms rules look for, on folded text (lowercase, no accents). Kept
 * apart from the rules so a reviewer can read each list as the idea it stands for.
 */

/** One word-bounded pattern from alternatives listed (and commented) one per line. */
function anyOf(alternatives: readonly RegExp[], flags = ''): RegExp {
  return new RegExp(`\\b(?:${alternatives.map((alternative) => alternative.source).join('|')})\\b`, flags);
}

/** A small count in digits or words: "em 12 vezes", "em três parcelas". */
const COUNT = /(?:ate\s+)?(?:\d+|duas|tres|quatro|cinco|seis|sete|oito|nove|dez|onze|doze|dezoito)/.source;

// ── Price ────────────────────────────────────────────────────────────────────────────────────

/** Nouns that name a price. A figure or an estimate after one of them is a quote. */
export const PRICE_NOUN = anyOf(
  [/precos?|precinho|valor(?:es)?|custos?|investimentos?|orcamentos?|cotac(?:ao|oes)/],
  'g',
);

/** Verbs that state a price: "custa", "cobramos", "sai por", "vendemos por", "te passo por". */
export const PRICE_VERB = anyOf(
  [
    /cust(?:a|am|ando|aria|ariam|ara|arao|ou)|cobr(?:a|am|amos|o|aria|ariamos|ando)|pag(?:a|am|ar|aria|ando)/,
    /(?:vend\w*|sai|saem|sairia|saindo|saiu|passar|passo|faco|fazemos|faz|fecho|fechamos|fechar|levar|leva)\s+(?:por|a)(?=\s|$)/,
  ],
  'g',
);

/** Verbs that state a price only when a figure follows right away: "fica em 1.500", "sai 9.990". */
export const PRICE_VERB_SHORT_REACH = anyOf(
  [/(?:fica|ficam|ficaria|ficou|ficando|sai|saem|sairia)(?:\s+(?:em|por))?/],
  'g',
);

/** After a price word, words that end the sentence on an estimate: "o valor fica em torno de…". */
export const ESTIMATE_AT_END =
  /^(?:\s+[a-z]+){0,4}?\s+(?:e de|fica(?:ria|ra)?(?: em| por)?|sai(?:ria|ra)? (?:por|a)|gira em torno de|em torno de|aproximadamente|a partir de|na faixa d[eo]s?|na casa d[eo]s?|cerca de|por volta de|esta em|de uns|uns|umas|perto de|proximo de|mais ou menos)\s*[,:-]*\s*$/;

/** A price that exists somewhere as a number: "preço de tabela", "valor cheio", "preço base". */
export const LIST_PRICE = anyOf(
  [/(?:preco|valor)(?:es|s)?\s+(?:de\s+)?(?:tabela|lista|cheio|base|de fabrica)/],
  'g',
);

// ── Discount and payment ─────────────────────────────────────────────────────────────────────

/** Offering a lower price, in words. */
export const DISCOUNT_WORDS = anyOf(
  [
    /descont(?:o|os|inho|ao|ar|amos|a)|abatimento|cashback|bonific\w*|black friday|queima de estoque|liquidac(?:ao|oes)/,
    /promoc(?:ao|oes|ional|ionais)|oferta especial|precinho|preco (?:camarada|de amigo|especial|promocional)|valor especial/,
    // "abate o frete", not "linha de abate".
    /abat(?:o|emos|e|er)\s+(?:o\s+|um\s+|uns\s+)?(?:frete|valor|preco|total|instalacao)/,
    // "cupom", not "cupom fiscal".
    /cupo(?:m|ns)(?! fiscal)/,
    // "condição especial", not "condições especiais de higiene".
    /condic(?:ao|oes)\s+(?:\w+\s+)?(?:especia(?:l|is)|diferenciad[ao]s?|exclusiv[ao]s?|imperdive(?:l|is)|vantajos[ao]s?|camarada)(?!\s+(?:de|para|em)\s+(?:higiene|armazen\w*|temperatura|operacao|trabalho|uso|processo|limpeza|seguranca|instalacao|umidade|pressao|ambiente|transporte))/,
    /frete\s+(?:(?:e|fica|sai|vai|vai ser)\s+)?(?:gratis|gratuito|incluso|free|cortesia|por nossa conta)/,
    /pela metade do (?:preco|valor)/,
    // Moving the price: "consigo baixar o valor", "seguro o preço"; not "mantém o valor nutricional".
    /(?:baixar|baixo|baixamos|reduzir|reduzo|reduzimos|melhorar|melhoro|melhoramos|abaixar|diminuir|segurar|seguro|seguramos|manter|mantenho|mantemos|congelar|congelo|congelamos|cobrir|cubro|cobrimos)\s+(?:um pouco\s+)?(?:o|esse|seu|nosso)\s+(?:valor|preco)(?!\s+(?:nutricional|nominal))/,
  ],
  'g',
);

/** Payment conditions, in words. */
export const PAYMENT_WORDS = anyOf(
  [
    // "à vista", not "a vista explodida" of a drawing.
    /a vista(?!\s+(?:explodida|lateral|frontal|superior|traseira|isometrica|em corte|de cima))|avista/,
    // "parcela em 10x", not "uma parcela dos clientes".
    /parcela(?!\s+(?:de|do|da|dos|das|significativa|grande|pequena|importante|consideravel|maior|menor)\b)|parcel(?:as|ado|ada|ados|amos|ar|amento|o)/,
    /sem juros|finame|proger|leasing|consorcio|credito direto|pagamento facilitado/,
    /financ(?:iamento|iamentos|iar|iado|iada|iamos|ia|ie)|pag(?:amento|ando|ar)\s+antecipad[oa]/,
    /(?:metade|parte|\d+\s*%)\s+(?:de|como|no|na)\s+(?:sinal|entrada)|entrada\s*(?:\+|e|mais)\s*(?:\d+\s*)?(?:parcelas|o saldo|o restante)/,
    new RegExp(`(?:em|ate)\\s+${COUNT}\\s+(?:parcelas|boletos|prestacoes|pagamentos)`),
    // "em 12 vezes" only next to payment words: "a dosagem é feita em 2 vezes" is not a payment.
    new RegExp(
      `(?<=\\b(?:pag\\w*|parcel\\w*|divid\\w*|cartao|boleto)\\b.{0,40})(?:em|ate)\\s+${COUNT}\\s+vezes`,
    ),
    new RegExp(`(?:em|ate)\\s+${COUNT}\\s+vezes(?=.{0,40}\\b(?:sem juros|cartao|boleto|pix|no credito)\\b)`),
    // Payment schedules: "30/60/90", "30/60 dias".
    /\d+\s*(?:\/\s*\d+){2,}|\d+\s*\/\s*\d+\s*(?:dias|ddl)/,
  ],
  'g',
);

/** Offering a way to pay: "aceitamos pix", "trabalhamos com boleto", "pode ser no cartão". */
export const PAYMENT_METHOD_OFFER = anyOf(
  [
    /(?:aceit\w*|trabalhamos com|pode ser (?:no|via|em|com)|da pra pagar (?:no|com|via|em))\s+(?:\w+\s+){0,3}?(?:pix|boletos?|cartao|cheque|finame|bndes|leasing)/,
  ],
  'g',
);

/** A percentage next to these is a discount. */
export const DISCOUNT_CUES = anyOf([
  /descont\w*|abat\w*|off|a vista|avista|pix|boleto|tabela|cupom|promoc\w*|precos?|cashback|de volta/,
  /mais barat[oa]|a menos|abaixo d[oa] (?:mercado|concorrencia|tabela)|(?:do|no) (?:valor|total)|na (?:primeira )?compra/,
]);

/** A percentage or an "Nx" next to these is a payment term. */
export const PAYMENT_CUES = anyOf([
  /entrada|sinal|parcel\w*|pagamento|pagar|pagando|pago|paga|juros|financ\w*|antecipad\w*/,
  /no pedido|na entrega|saldo|restante|resto|cartao|boleto|pix/,
]);

/** A time span next to these is a payment term: "vencimento em 30 dias", "boleto para 28 dias". */
export const PAYMENT_TIME_WORDS = anyOf([
  /vencimento|vence|boletos?|parcel\w*|financ(?:iamento|iar|iado|iada)|pagamento|pagar|quita\w*|saldo|carencia|ddl|faturamento|faturad\w*/,
]);

// ── Deadline ─────────────────────────────────────────────────────────────────────────────────

/** Delivery promised without a figure. */
export const DELIVERY_PROMISE = anyOf(
  [
    /pronta[- ]?entrega/,
    /(?:entrega|envio|despacho|embarque|expedicao)\s+(?:imediat[oa]|rapid[oa]|express[oa]|relampago|na hora|no mesmo dia|no dia seguinte)/,
    /prazo(?:\s+de\s+[a-z]+)?\W*(?:(?:e|esta|ta|fica|bem|super|muito|hoje)\s+)*(?:curto|curtinho|rapido|reduzido|imediato|otimo|excelente|tranquilo)/,
    /(?:entreg|despach|expedi|embarc)\w*\s+(?:bem\s+|super\s+|muito\s+)?(?:rapid\w*|logo|imediatamente|na hora|no mesmo dia|no dia seguinte|em poucos dias|em poucas semanas|em questao de dias)/,
    /(?:temos|tem|ha|esta|estao)\s+(?:[a-z]+\s+)?em estoque/,
  ],
  'g',
);

/** Calendar points: a month, a weekday, "semana que vem", "fim do mês", "15/05", "dia 20". */
export const CALENDAR_POINT = anyOf(
  [
    /janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro/,
    /amanha|hoje mesmo|ainda hoje|natal|(?:semana|mes|ano) que vem|(?:semana|mes|quinzena) seguinte|(?:primeira|segunda) quinzena/,
    /(?:proxim[oa]|nest[ea]|est[ea]|ness[ea]|ess[ea])\s+(?:semana|mes|quinzena|segunda|terca|quarta|quinta|sexta|sabado)/,
    /(?:fim|final|inicio|comeco|meados)\s+d[eoa]s?\s+(?:mes|ano|semana|semestre|trimestre|quinzena)/,
    /(?:ate|na|no|nesta|proxima|toda|todo)\s+(?:a\s+)?(?:segunda|terca|quarta|quinta|sexta|sabado|domingo)(?:-feira)?/,
    /dia \d{1,2}|\d{1,2}\/\d{1,2}(?:\/\d{2,4})?/,
  ],
  'g',
);

/**
 * Making or installing the lead's equipment: a span of days or a date next to these is a lead
 * time. "produção" counts only as the production of the order ("na produção de maio", "a produção
 * da sua máquina"), not as the lead's own ("linha de produção", "aumentar a produção").
 */
export const MAKING_WORDS = anyOf([
  /fabric(?:acao|ar|amos|ad[oa]s?|ando)|produzimos|produzir|montage\w*|montamos|montar|montad[oa]s?/,
  /(?:produz|fabrica|monta|instala)\s+(?:a |o |as |os )?(?:sua|seu|suas|seus)/,
  /(?:na|em|fila de|prazo de|tempo de) producao(?!\s+d[eao]s?\s+(?:voces|vcs|clientes?)\b)|producao d[ao] (?:sua|seu)/,
  // "fica pronta", "está pronto"; not the interjection "Pronto!" nor "estou pronto para ajudar".
  /(?:fica|ficam|ficaria|ficara|ficar|esta|estao|estara|estarao|ta|tao|deixa|deixamos|deixar|sai|saem|sair)\s+(?:[a-z]+\s+)?pront[oa]s?/,
  /pront[oa]s? (?:para|pra) (?:entrega|embarque|envio|uso)/,
  /instal(?:acao|ar|amos|ad[oa]s?|ando)|lead ?time|concluid[oa]s?|start-?up|comissionamento/,
  /termin(?:amos|ad[oa]s?)|termin(?:a|ar)\s+(?:a |o )?(?:sua |seu )?(?:maquina|equipamento|linha)/,
]);

/** Shipping the equipment: a lead time even when counted in hours ("despachamos em 48h"). */
export const SHIPPING_WORDS = anyOf([/entreg\w*|despach\w*|expedi\w*|embarc\w*|embarque/]);

/** Moving something to the lead: a lead time too, unless the thing is a proposal or a call. */
export const TRANSFER_WORDS = anyOf([
  /envi\w*|mand(?:a|amos|ar)|receb\w*|cheg(?:a|am|ar|aria|ando|ada)|liber(?:a|ar|amos|ada|ado)|disponive\w*/,
  /sai(?:r)?\s+d[ae]|coloc\w*|na sua (?:porta|fabrica|empresa)/,
]);

/** Words about waiting that make a span of days a lead time: "prazo", "leva", "demora". */
export const WAIT_WORDS = anyOf([
  /prazo\w*|lev(?:a|am|amos|aria|ar)|demor\w*|dur(?:a|am|ar)|tempo de|previs\w*/,
]);

/** The equipment working at the lead's plant: "em 40 dias ela está rodando". */
export const READY_WORDS = anyOf([/rodando|operando|funcionando|em operacao|produzindo/]);

/** "em até 20 dias", "dentro de 15 dias": the shape of a promise, whatever the verb. */
export const PROMISE_BEFORE =
  /\b(?:em\s+(?:ate|no maximo|menos de)|dentro de|no prazo de|no maximo em)\s+(?:uns\s+|umas\s+|cerca de\s+|aproximadamente\s+)?$/;

/** A span after these is not a wait: warranty, experience, a shift, an interval, a process. */
export const NOT_A_WAIT_BEFORE = anyOf([
  /garantia|experiencia|mercado|historia|tradicao|vida|util|suporte|treinamento|contrato|validade|valida/,
  /cada|ha|turnos?|jornada|diari[oa]|ciclo|teste|periodo|estoque|maturacao|cura|fermentacao|secagem|descanso|shelf/,
]);

/** The consultant contacting the lead, or documents sent to them: callback times are allowed. */
export const CONTACT_WORDS = anyOf([
  /consultor\w*|especialista\w*|vendedor\w*|representante\w*|retorn\w*|contat\w*|lig(?:a|ar|amos|o|ue|acao)/,
  /chama(?:r|mos|da)?|respond\w*|resposta|proposta\w*|orcamento\w*|cotac\w*|catalogo\w*|material|visita\w*/,
  /reuniao|agend\w*|atendimento|mensage\w*|e-?mail|whatsapp/,
]);
