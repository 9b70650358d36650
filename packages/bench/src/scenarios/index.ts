import { BenchError } from '../errors';
import { fuzzScenario } from '../fuzz/scenario';
import { decodeWorkload, FUZZ_PREFIX } from '../fuzz/workload';
import { CATALOGUE } from './catalogue/index';
import type { CatalogueEntry } from './entry';

/** The scenario ids, in catalogue order. */
export const SCENARIO_IDS: readonly string[] = CATALOGUE.map((e) => e.scenario.id);

/**
 * The catalogue entries for these ids (all when empty); an unknown id names the valid ones. A
 * fuzz finding's workload id (`fuzz:…`) is a scenario of its own, rebuilt from the id, so trace,
 * check and matrix workers take it like a catalogue id.
 */
export function selectScenarios(ids: readonly string[]): CatalogueEntry[] {
  if (ids.length === 0) return [...CATALOGUE];
  return ids.map((id) => {
    if (id.startsWith(FUZZ_PREFIX))
      return { kind: 'failure', scenario: fuzzScenario(decodeWorkload(id)), expected: {} };
    const e = CATALOGUE.find((x) => x.scenario.id === id);
    if (e === undefined)
      throw new BenchError('UNKNOWN_SCENARIO', `unknown scenario '${id}'; valid: ${SCENARIO_IDS.join(', ')}`);
    return e;
  });
}
