import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * The one shape every bench script reports its figures in, so `npm run bench` (bench/run-all.ts)
 * can put them in one table. A script run alone prints its own output as before; with
 * BENCH_JSON=path set it also appends one JSON line per figure to that file.
 */
export type Check = { on: 'value' | 'ratio'; op: '<=' | '>='; limit: number };

export type BenchResult = {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  baseline: number | null;
  /** What the baseline is, in a few words: the table's readers need it to read the ratio. */
  baselineIs: string | null;
  ratio: number | null;
  target: string | null;
  /** null when no issue sets a target for the figure: it is reported, not judged. */
  pass: boolean | null;
};

export type ResultInput = {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  baseline?: number;
  baselineIs?: string;
  check?: Check;
};

/** BENCH_QUICK=1: shorter runs for a smoke test; the figures are not the ones to quote. */
export function isQuick(): boolean {
  return process.env.BENCH_QUICK === '1';
}

function describeCheck({ on, op, limit }: Check, unit: string): string {
  const sign = op === '<=' ? '≤' : '≥';
  return on === 'ratio' ? `ratio ${sign} ${limit}` : `${sign} ${formatNumber(limit)} ${unit}`;
}

export function result({
  bench,
  figure,
  value,
  unit,
  baseline,
  baselineIs,
  check,
}: ResultInput): BenchResult {
  const quotient = baseline === undefined || baseline === 0 ? Number.NaN : value / baseline;
  const ratio = Number.isFinite(quotient) ? quotient : null;
  let pass: boolean | null = null;
  if (check) {
    const measured = check.on === 'ratio' ? ratio : value;
    // A figure that could not be measured (NaN, no baseline) fails its target rather than passing silently.
    pass =
      measured !== null &&
      Number.isFinite(measured) &&
      (check.op === '<=' ? measured <= check.limit : measured >= check.limit);
  }
  return {
    bench,
    figure,
    value,
    unit,
    baseline: baseline ?? null,
    baselineIs: baselineIs ?? null,
    ratio,
    target: check ? describeCheck(check, unit) : null,
    pass,
  };
}

/** Appends the results to BENCH_JSON when it is set; a no-op otherwise. */
export function emitResults(results: BenchResult[]): void {
  const file = process.env.BENCH_JSON;
  if (!file || results.length === 0) return;
  appendFileSync(file, results.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

export function readResults(file: string): BenchResult[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as BenchResult);
}

export function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const verdict = (pass: boolean | null) => (pass === null ? '' : pass ? 'PASS' : 'FAIL');

/** The table of figures, then what each baseline is (the ratio column reads value / baseline). */
export function formatTable(results: BenchResult[]): string {
  const header = ['figure', 'value', 'baseline', 'ratio', 'target', ''];
  const rows = results.map((r) => [
    r.figure,
    `${formatNumber(r.value)} ${r.unit}`,
    r.baseline === null ? '—' : `${formatNumber(r.baseline)} ${r.unit}`,
    r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
    r.target ?? '—',
    verdict(r.pass),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 || i >= 4 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const baselines = [
    ...new Set(results.filter((r) => r.baselineIs).map((r) => `  ${r.bench}: ${r.baselineIs}`)),
  ];
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...(baselines.length > 0 ? ['', 'baselines:', ...baselines] : []),
  ].join('\n');
}
