import { cnpjWithCheckDigits, formatCnpj } from '../../src/domain/lead/extractors/cnpj.js';
import { newMessageId, phoneFor, zapiAudio, zapiText } from '../factories.js';
import type { FakeWhatsAppProvider } from '../fakes/whatsapp-provider.js';
import { oggOpusSample } from '../helpers/audio-samples.js';
import { postZapi } from '../helpers/pipeline.js';
import { seededRandom } from '../helpers/seeded-random.js';
import type { TestService } from '../helpers/service.js';

/**
 * The batch of leads of one run, from a seed: people who only chat, hot leads (every slot in
 * their last message, so the bot hands them off to Chatwoot and syncs them to PipeRun) and
 * people who send a voice note. Each writes twice, a seeded gap apart, so second messages land
 * in the burst window, during the first answer (folded) or after it.
 */
export type LeadKind = 'chat' | 'hot' | 'voice';
export type Wave = 'first' | 'second' | 'after';
type Say = { kind: 'text'; text: string } | { kind: 'audio' };
export type Lead = { n: number; kind: LeadKind; wave: Wave; phone: string; says: Say[]; gapMs: number };

const LEADS_PER_WAVE = 8;
const KINDS: LeadKind[] = ['chat', 'hot', 'voice'];
const PEOPLE = ['Carlos Lima', 'Ana Souza', 'Bruno Rocha', 'Clara Dias', 'Diego Alves', 'Elisa Ramos'];
const COMPANIES = ['Acme Alimentos', 'Doces Bahia', 'Molhos Serra', 'Sucos Vale', 'Mel Dourado'];

function hotText(n: number): string {
  const cnpj = cnpjWithCheckDigits(`47${String(n).padStart(6, '0')}0001`);
  const name = PEOPLE[n % PEOPLE.length] as string;
  const company = COMPANIES[n % COMPANIES.length] as string;
  return (
    `Meu nome é ${name}, sou da ${company}, CNPJ ${formatCnpj(cnpj)}. ` +
    'Precisamos com urgência de uma envasadora para molho de tomate, 2 mil frascos por hora. ' +
    `Somos de Campinas/SP, email compras${n}@exemplo.com.br`
  );
}

function saysFor(kind: LeadKind, n: number): Say[] {
  if (kind === 'hot')
    return [
      { kind: 'text', text: 'Boa tarde' },
      { kind: 'text', text: hotText(n) },
    ];
  if (kind === 'voice') return [{ kind: 'audio' }, { kind: 'text', text: 'é para uma fábrica de molhos' }];
  return [
    { kind: 'text', text: 'Oi, bom dia' },
    { kind: 'text', text: 'Vocês fazem rotuladoras?' },
  ];
}

export function planLeads(seed: number): Lead[] {
  const random = seededRandom(seed);
  const waves: Wave[] = ['first', 'second', 'after'];
  return waves.flatMap((wave, w) =>
    Array.from({ length: LEADS_PER_WAVE }, (_, i) => {
      const n = w * LEADS_PER_WAVE + i;
      const kind = KINDS[(n + w) % KINDS.length] as LeadKind;
      return {
        n,
        kind,
        wave,
        phone: phoneFor(900 + n),
        says: saysFor(kind, n),
        gapMs: 100 + Math.floor(random() * 1100),
      };
    }),
  );
}

/** What was sent for the checks: every provider message id, by lead. */
export type Sent = { lead: Lead; messageId: string; kind: Say['kind'] };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 250)));

/** Waits until `at` (epoch ms) in short steps: a schedule, not a sleep the test relies on. */
export async function until(at: number): Promise<void> {
  while (Date.now() < at) await pause(at - Date.now());
}

/** One lead's messages from `startAt` on, the second `gapMs` after the first. */
export async function talk(
  t: TestService,
  provider: FakeWhatsAppProvider,
  lead: Lead,
  startAt: number,
  sent: Sent[],
): Promise<void> {
  for (const [index, say] of lead.says.entries()) {
    await until(startAt + index * lead.gapMs);
    const messageId = newMessageId(`FM${lead.n}X${index}`);
    if (say.kind === 'audio') {
      const mediaId = `note-${lead.n}`;
      provider.addMedia(mediaId, oggOpusSample(3), 'audio/ogg; codecs=opus');
      await postZapi(
        t,
        zapiAudio({ phone: lead.phone, audioUrl: provider.mediaUrl('storage', mediaId), messageId }),
      );
    } else {
      await postZapi(t, zapiText({ phone: lead.phone, text: say.text, messageId }));
    }
    sent.push({ lead, messageId, kind: say.kind });
  }
}
