import { BenchError } from '../errors';
import { CATALOGUE } from './catalogue/index';
import type { CatalogueEntry } from './entry';

/** The scenario ids, in catalogue order. */
export const SCENARIO_IDS: readonly string[] = CATALOGUE.map((e) => e.scenario.id);

/** The catalogue entries for these ids (all when empty); an unknown id names the valid ones. */
export function selectScenarios(ids: readonly string[]): CatalogueEntry[] {
  if (ids.length === 0) return [...CATALOGUE];
  return ids.map((id) => {
    const e = CATALOGUE.find((x) => x.scenario.id === id);
    if (e === undefined)
      throw new BenchError('UNKNOWN_SCENARIO', `unknown scenario '${id}'; valid: ${SCENARIO_IDS.join(', ')}`);
    return e;
  });
}
