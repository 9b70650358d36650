// The explorer API the tests use, plus the internal parameter resolution.

export { strategyParams as strategyParamsForTest } from '../src/explore/explore';
export * from '../src/index';
