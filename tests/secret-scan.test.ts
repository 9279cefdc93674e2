import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The CI gate (`npm run lint:secrets`) is secretlint with the repository's .secretlintrc.json.
 * Here it scans planted credentials in a temp folder, through the same CLI, to prove it fails
 * the build on a leak and stays quiet on a clean file. The secrets are assembled at run time so
 * this file itself passes the scan.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'node_modules', 'secretlint', 'bin', 'secretlint.js');
const CONFIG = path.join(ROOT, '.secretlintrc.json');

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomText = (length: number, alphabet = ALPHANUMERIC) =>
  Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join('');
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'secret-scan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Scan = { code: number; output: string };

function scan(files: string[]): Promise<Scan> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, '--secretlintrc', CONFIG, '--no-color', '--no-glob', ...files],
      { cwd: dir, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

async function plant(name: string, content: string): Promise<string> {
  await writeFile(path.join(dir, name), content);
  return name;
}

describe('secret scanning', () => {
  it('fails on a GitHub token, an AWS key pair and a private key, without printing them', async () => {
    const githubToken = `${'ghp'}_${randomText(36)}`;
    const awsSecret = randomText(40, `${ALPHANUMERIC}/+`);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const files = [
      await plant('deploy.sh', `#!/bin/sh\nexport GITHUB_TOKEN=${githubToken}\ngit push\n`),
      await plant(
        'aws.env',
        `AWS_ACCESS_KEY_ID=${'AKIA'}${randomText(16, UPPER_DIGITS)}\nAWS_SECRET_ACCESS_KEY=${awsSecret}\n`,
      ),
      await plant('id_ecdsa', pem),
    ];

    const result = await scan(files);

    expect(result.code, result.output).toBe(1);
    for (const file of files) expect(result.output).toContain(path.join(dir, file));
    expect(result.output).toContain('GitHub Token');
    expect(result.output).toContain('AWS Secret Access Key');
    expect(result.output).toMatch(/private key/i);
    // CI logs are public to everyone who can read the repository: findings are masked.
    expect(result.output).not.toContain(githubToken);
    expect(result.output).not.toContain(awsSecret);
  });

  it('passes a file with obvious placeholders', async () => {
    const file = await plant(
      'clean.env',
      [
        'OPENAI_API_KEY=sk-your-key-here',
        'GITHUB_TOKEN=<your GitHub token>',
        'DATABASE_URL=postgres://localhost:5432/seleto',
        'ADMIN_TOKEN=change-me-to-a-long-random-string',
        '',
      ].join('\n'),
    );

    const result = await scan([file]);

    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain('problem');
  });
});
