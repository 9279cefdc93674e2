import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/**
 * Shared pieces of the fuzz suite. Runs are reproducible: the seed is fixed unless FUZZ_SEED
 * says otherwise, and a failure prints the seed and path to replay it. FUZZ_RUNS raises every
 * property's run count for a deeper local run (`npm run test:fuzz`).
 */
const DEFAULT_SEED = 20_261_121;

export function fuzzParams(defaultRuns: number): { seed: number; numRuns: number; endOnFailure: boolean } {
  const runs = Number(process.env.FUZZ_RUNS);
  const seed = Number(process.env.FUZZ_SEED);
  return {
    seed: Number.isInteger(seed) ? seed : DEFAULT_SEED,
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
    // Shrinking a route failure replays hundreds of requests; the first counterexample is enough.
    endOnFailure: true,
  };
}

/** A test timeout that grows with FUZZ_RUNS, so a deep run is not cut by the default 30 s. */
export function fuzzTimeout(defaultRuns: number, msPerRun = 40): number {
  return Math.max(30_000, fuzzParams(defaultRuns).numRuns * msPerRun);
}

export function readFixtures(system: string): Array<{ name: string; raw: Buffer; value: unknown }> {
  const dir = new URL(`../fixtures/${system}/`, import.meta.url);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => {
      const raw = readFileSync(new URL(name, dir));
      return { name, raw, value: JSON.parse(raw.toString('utf8')) as unknown };
    });
}

/** Strings that have broken parsers before: NUL, lone surrogates, emoji, RTL, huge, numeric. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    '👩‍👩‍👧‍👦',
    '\u202eevil',
    'null',
    'NaN',
    '-1',
    '1e309',
    '99999999999999999999999',
    '5511987650001',
    '5511987650001@s.whatsapp.net',
    '123@lid',
    '120363-group',
    '1203630@g.us',
    'status@broadcast',
    '__proto__',
    'constructor',
  ),
  fc.integer({ min: 1, max: 50_000 }).map((n) => 'ç'.repeat(n)),
);

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(null, true, false, 0, -0, 1e308, -1, 2 ** 53 + 1, 1.5),
);

/** Any JSON value, with the nasty strings above among the leaves. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: leaf },
  {
    weight: 2,
    arbitrary: fc.dictionary(fc.oneof(fc.string(), nastyString), leaf, { maxKeys: 6 }),
  },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 6 }) },
);

type Path = Array<string | number>;

// Deeper nodes are only reachable after a 'nest' mutation; mutating inside that adds nothing.
const MAX_MUTATION_DEPTH = 32;

function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (prefix.length >= MAX_MUTATION_DEPTH) return out;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) pathsOf(item, [...prefix, index], out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  }
  return out;
}

function retype(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : [value];
  if (typeof value === 'boolean') return value ? 'true' : 0;
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, index) => [String(index), item]));
  if (value === null) return {};
  return [value];
}

function deeplyNested(depth: number): unknown {
  let nested: unknown = 'bottom';
  for (let i = 0; i < depth; i += 1) nested = i % 2 === 0 ? [nested] : { a: nested };
  return nested;
}

type MutationOp = 'drop' | 'replace' | 'retype' | 'null' | 'nest' | 'huge' | 'nasty' | 'wrap' | 'everyString';

export type Mutation = { at: number; op: MutationOp; replacement: unknown; text: string; depth: number };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom<MutationOp>(
    'drop',
    'replace',
    'retype',
    'null',
    'nest',
    'huge',
    'nasty',
    'wrap',
    'everyString',
  ),
  replacement: anyJson,
  text: nastyString,
  depth: fc.integer({ min: 1, max: 3000 }),
});

function mutated(
  current: unknown,
  { op, replacement, text, depth }: Mutation,
): { keep: boolean; value: unknown } {
  switch (op) {
    case 'drop':
      return { keep: false, value: undefined };
    case 'replace':
      return { keep: true, value: replacement };
    case 'retype':
      return { keep: true, value: retype(current) };
    case 'null':
      return { keep: true, value: null };
    case 'nest':
      return { keep: true, value: deeplyNested(depth) };
    case 'huge':
      return { keep: true, value: 'x'.repeat(depth * 100) };
    case 'nasty':
      return { keep: true, value: text };
    case 'wrap':
      return { keep: true, value: [current, current] };
    case 'everyString':
      // Reaches the one string a parser keeps (a message body) without knowing its path.
      return { keep: true, value: withEveryString(current, text) };
  }
}

function withEveryString(value: unknown, text: string, depth = 0): unknown {
  if (typeof value === 'string') return `${value.slice(0, 3)}${text}`;
  if (depth >= MAX_MUTATION_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => withEveryString(item, text, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, withEveryString(item, text, depth + 1)]),
  );
}

/** Applies one mutation at the node `at` picks (modulo the node count), copying only along its path. */
export function applyMutation(value: unknown, change: Mutation): unknown {
  const paths = pathsOf(value);
  const path = paths[change.at % paths.length] ?? [];
  const next = mutated(getAt(value, path), change);
  return replaceAt(value, path, next);
}

function replaceAt(value: unknown, path: Path, next: { keep: boolean; value: unknown }): unknown {
  if (path.length === 0) return next.keep ? next.value : {};
  const [key, ...rest] = path as [string | number, ...Path];
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  if (rest.length > 0) copy[key] = replaceAt(copy[key], rest, next);
  else if (next.keep) copy[key] = next.value;
  else if (Array.isArray(copy)) copy.splice(key as number, 1);
  else delete copy[key];
  return copy;
}

function getAt(value: unknown, path: Path): unknown {
  let current = value;
  for (const key of path) current = (current as Record<string | number, unknown>)[key];
  return current;
}

/** A valid fixture with one to four mutations: close enough to pass the outer checks. */
export function mutatedFixture(fixtures: ReadonlyArray<{ value: unknown }>): fc.Arbitrary<unknown> {
  return fc
    .record({
      fixture: fc.constantFrom(...fixtures),
      changes: fc.array(mutation, { minLength: 1, maxLength: 4 }),
    })
    .map(({ fixture, changes }) => changes.reduce(applyMutation, fixture.value));
}

/** Bytes that are not JSON, or almost: truncated, binary, BOM-prefixed, other formats. */
export const nonJsonBody: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
  fc.string().map((text) => Buffer.from(`{${text}`)),
  fc.jsonValue().map((value) => {
    const text = JSON.stringify(value) ?? 'null';
    return Buffer.from(text.slice(0, Math.max(0, text.length - 1)));
  }),
  fc.constantFrom(
    Buffer.from(''),
    Buffer.from('\ufeff{"type":"ReceivedCallback"}'),
    Buffer.from('<xml/>'),
    Buffer.from('a=1&b=2'),
    Buffer.from('{"a":"\\ud800"}'),
    Buffer.from('{"a":1}{"b":2}'),
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    Buffer.from(`${'['.repeat(20_000)}${']'.repeat(20_000)}`),
  ),
);

export const contentTypes: fc.Arbitrary<string | undefined> = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/vnd.api+json',
  'application/jsonx',
  '',
);

export function jsonBuffer(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value) ?? 'null');
}

const ACCEPTED_OUTCOMES = new Set(['accepted', 'ignored', 'duplicate']);

/**
 * What every webhook answer must look like: never 5xx; a 4xx is JSON naming the problem; a 2xx
 * says the delivery was accepted, ignored or a duplicate.
 */
export function expectWebhookAnswer(response: LightMyRequestResponse): 'ok' | 'refused' {
  const context = `${response.statusCode} ${response.body.slice(0, 300)}`;
  expect(response.statusCode, context).toBeLessThan(500);
  if (response.statusCode >= 400) {
    expect(response.headers['content-type'], context).toMatch(/^application\/json/);
    const body = response.json() as { code?: unknown; message?: unknown };
    expect(typeof body.code, context).toBe('string');
    expect(typeof body.message === 'string' && body.message.length > 0, context).toBe(true);
    return 'refused';
  }
  expect(response.statusCode, context).toBe(200);
  const body = response.json() as { status?: unknown };
  expect(ACCEPTED_OUTCOMES.has(String(body.status)), context).toBe(true);
  return 'ok';
}

export { trackUnhandledRejections } from '../helpers/unhandled-rejections.js';
