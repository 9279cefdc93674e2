import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CHAT = fileURLToPath(new URL('../src/chat.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');

/** `npm run chat` with a scripted lead on stdin: the operator's one-minute tour of the bot. */
describe('terminal chat', () => {
  it('answers a lead typed in the terminal and shows the profile on request', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'seleto-chat-'));
    try {
      const child = spawn(process.execPath, ['--import', TSX_LOADER, CHAT], {
        cwd: dataDir,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CHAT_DATA_DIR: dataDir },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      child.stdin.end(
        'Oi, meu nome é Ana, sou da Acme Alimentos\nquanto custa uma envasadora?\n/perfil\n/sair\n',
      );
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

      expect(code).toBe(0);
      expect(out).toContain('Seleto: Olá, Ana! Aqui é o assistente virtual da Seleto Industrial.');
      expect(out).toContain('consultores');
      expect(out).not.toMatch(/R\$\s*\d/);
      expect(out).toContain('"company": "Acme Alimentos"');
      expect(out).toContain('"status": "qualifying"');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
