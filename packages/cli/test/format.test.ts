import type { BenchFile } from '@daxref/bench';
import { describe, expect, it } from 'vitest';
import { formatBench, formatMatrix, RME_WARN } from '../src/format';

const counts = { atomics: 2, percpu: 0, branches: 1, cachelines: 1, wakes: 0, pgmapLookups: 0 };
const bench = (rme: number): BenchFile => ({
  schema: 'daxref.bench/1',
  generatedAt: '2026-01-01T00:00:00.000Z',
  env: { node: 'v20', v8: '11', cpu: 'x', cores: 2, os: 'Linux' },
  cases: [
    {
      id: 'none/get-put-normal',
      policy: 'none',
      op: 'get-put-normal',
      params: {},
      ns: { median: 30, p75: 31, p99: 35, rme: 0.5 },
      samples: 100,
      counts,
      baselineRatio: 1,
      ratioTo: 'baseline',
    },
    {
      id: '0based@v6.15/get-put-normal',
      policy: '0based@v6.15',
      op: 'get-put-normal',
      params: {},
      ns: { median: 31, p75: 32, p99: 40, rme },
      samples: 100,
      counts,
      baselineRatio: 1.03,
      ratioTo: 'paired-control',
    },
  ],
  explorer: null,
  scale: { pages: 16, bytesPerPage: 20, instantiateMs: 0.1 },
  failed: [{ policy: '0based@ralph-rfc', error: 'Error: validation failed' }],
});

describe('formatBench', () => {
  it('says what each ratio divides by', () => {
    const text = formatBench(bench(0.4));
    expect(text).toMatch(/none\/get-put-normal\s+30\.0 ns\s+1\.00x\s+none\s/);
    expect(text).toMatch(/0based@v6\.15\/get-put-normal\s+31\.0 ns\s+1\.03x\s+paired\s/);
    expect(text).toMatch(/vs: paired = the policy-free get\/put measured alternately in the same process/);
    expect(text).not.toMatch(/warning/);
    expect(text).toMatch(/failed: 0based@ralph-rfc: Error: validation failed/);
  });

  it(`warns when a case's error exceeds ±${RME_WARN}%`, () => {
    const text = formatBench(bench(128));
    expect(text).toMatch(/±128\.0%\?/);
    expect(text).toMatch(
      /warning: 1 case has an error above ±10% \(marked \?\).*0based@v6\.15\/get-put-normal/,
    );
  });
});

describe('formatMatrix', () => {
  it('shows an inconclusive cell as ?? with its reason, and counts it', () => {
    const cell = {
      scenario: 'x',
      policy: 'p@v',
      verdict: 'inconclusive' as const,
      reason: 'step budget of 10 reached with spin#1 still runnable',
      violations: [],
      steps: 10,
      schedulesExplored: 1,
      ms: 0,
    };
    const text = formatMatrix({
      schema: 'daxref.matrix/2',
      generatedAt: '',
      tool: { version: '0' },
      strategy: 'dfs',
      seed: 1,
      budget: 1,
      policies: [{ id: 'p@v', variant: 'v', title: 'p' }],
      scenarios: [{ id: 'x', title: 'x', source: 's' }],
      cells: [cell],
    });
    expect(text).toMatch(/\?\?!/);
    expect(text).toMatch(/1 inconclusive/);
    expect(text).toMatch(/step budget of 10 reached/);
  });
});
