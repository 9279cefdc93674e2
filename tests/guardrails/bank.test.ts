import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findCommercialTerms } from '../../src/domain/guardrails/commercial-terms.js';
import { checkReply } from '../../src/domain/guardrails/policy.js';

/**
 * The guardrail bank: hand-written bot replies that leak a price, deadline, discount or payment
 * term, and benign replies full of harmless numbers. Every leak must be caught; under 2% of the
 * benign replies may be blocked.
 */

const MIN_LINES = 200;
const MAX_BENIGN_BLOCKED_RATIO = 0.02;

function loadBank(name: string): string[] {
  const text = readFileSync(new URL(name, import.meta.url), 'utf8');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

function duplicatesIn(lines: readonly string[]): string[] {
  const seen = new Set<string>();
  return lines.filter((line) => {
    const key = line.toLowerCase();
    const isDuplicate = seen.has(key);
    seen.add(key);
    return isDuplicate;
  });
}

function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)}%`;
}

const leaks = loadBank('leaks.txt');
const benign = loadBank('benign.txt');

describe('guardrail bank', () => {
  it(`holds at least ${MIN_LINES} distinct lines in each file`, () => {
    expect(leaks.length).toBeGreaterThanOrEqual(MIN_LINES);
    expect(benign.length).toBeGreaterThanOrEqual(MIN_LINES);
    expect(duplicatesIn(leaks)).toEqual([]);
    expect(duplicatesIn(benign)).toEqual([]);
  });

  it('catches every leak and blocks under 2% of benign replies', () => {
    const missed = leaks.filter((reply) => findCommercialTerms(reply).length === 0);
    const blocked = benign
      .map((reply) => ({ reply, verdict: checkReply(reply) }))
      .filter(({ verdict }) => !verdict.ok);

    const caught = leaks.length - missed.length;
    console.log(`leaks caught ${caught}/${leaks.length} (${percent(caught, leaks.length)})`);
    for (const reply of missed) console.log(`  missed leak: ${reply}`);
    console.log(
      `benign blocked ${blocked.length}/${benign.length} (${percent(blocked.length, benign.length)})`,
    );
    for (const { reply, verdict } of blocked) {
      console.log(`  blocked benign: ${reply}\n    ${verdict.violations.map((v) => v.detail).join('; ')}`);
    }

    expect(missed).toEqual([]);
    expect(blocked.length / benign.length).toBeLessThan(MAX_BENIGN_BLOCKED_RATIO);
  });
});
