/* biome-ignore-all lint/suspicious/noConsole: the terminal chat talks to a person on stdout */
import { createInterface } from 'node:readline/promises';
import { loadConfigOrExit } from './config.js';
import { createLeadRepo } from './db/lead.repo.js';
import { createLogger } from './observability/logger.js';
import { startService } from './service.js';

/**
 * `npm run chat`: talk to the bot as a lead, in the terminal. Runs the whole pipeline in this
 * process (webhook, buffer, turn, guardrails, outbox) on the console provider and its own
 * embedded database, so it works next to a running `npm start`. The one place where `console`
 * output is the point.
 */

const LEAD_PHONE = '5511900000001';
const REPLY_WAIT_MS = 20_000;
const POLL_MS = 150;

const HELP = `Escreva como um lead no WhatsApp. Comandos: /perfil (o que o bot já sabe), /sair.`;

async function main(): Promise<void> {
  const base = loadConfigOrExit();
  // Its own data folder and a short burst window: a person at a terminal waits for each answer.
  const config = {
    ...base,
    database: { ...base.database, dataDir: process.env.CHAT_DATA_DIR ?? `${base.database.dataDir}/chat` },
    messageBufferMs: Math.min(base.messageBufferMs, 1500),
    whatsapp: { ...base.whatsapp, provider: 'console' as const, maxSendsPerMinute: 600 },
    adminToken: undefined,
  };
  const service = await startService(config, createLogger({ level: 'error' }));
  let lastSeen = new Date(0);

  async function repliesSince(since: Date): Promise<{ text: string; sentAt: Date }[]> {
    const result = await service.pool.query<{ text: string; sent_at: Date }>(
      `select text, sent_at from outbox where chat_id = $1 and status = 'sent' and sent_at > $2 order by sent_at, part`,
      [LEAD_PHONE, since],
    );
    return result.rows.map((row) => ({ text: row.text, sentAt: row.sent_at }));
  }

  async function waitForReplies(): Promise<void> {
    const deadline = Date.now() + REPLY_WAIT_MS;
    while (Date.now() < deadline) {
      const replies = await repliesSince(lastSeen);
      if (replies.length > 0) {
        for (const reply of replies) console.log(`\nSeleto: ${reply.text}\n`);
        lastSeen = replies.at(-1)?.sentAt ?? lastSeen;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    console.log(
      '\n(sem resposta do bot: ele fica em silêncio, por exemplo depois de encerrar um lead frio)\n',
    );
  }

  async function showProfile(): Promise<void> {
    const row = await service.pool.query<{ id: string }>('select id from leads where phone = $1', [
      LEAD_PHONE,
    ]);
    const leadId = row.rows[0]?.id;
    const profile = leadId ? await createLeadRepo(service.pool).findProfile(leadId) : undefined;
    if (!profile) {
      console.log('\n(nenhum lead ainda: escreva algo primeiro)\n');
      return;
    }
    console.log(
      JSON.stringify(
        {
          status: profile.status,
          temperature: profile.temperature,
          reasons: profile.reasons,
          slots: profile.slots,
        },
        null,
        2,
      ),
    );
  }

  console.log(`Seleto Agent: chat de teste. ${HELP}\n`);
  lastSeen = (await repliesSince(new Date(0))).at(-1)?.sentAt ?? new Date(0);
  // Created just before reading: readline drops lines that arrive before iteration starts.
  const terminal = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY,
  });
  for await (const line of terminal) {
    const text = line.trim();
    if (text === '/sair') break;
    if (text === '/perfil') await showProfile();
    else if (text === '/ajuda' || text === '') console.log(HELP);
    else {
      await service.app.inject({
        method: 'POST',
        url: '/webhooks/whatsapp/console',
        headers: { 'content-type': 'application/json' },
        remoteAddress: '127.0.0.1',
        payload: JSON.stringify({ from: LEAD_PHONE, text, name: 'Lead de teste' }),
      });
      await waitForReplies();
    }
  }
  terminal.close();
  await service.stop();
}

await main();
