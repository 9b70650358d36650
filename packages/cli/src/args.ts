import { InvalidArgumentError } from 'commander';

/** Commander's collector for a repeatable option. */
export function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

/** Commander's parser for an integer option `>= min`: anything else is a one-line error. */
export function intArg(name: string, min = 0): (v: string) => number {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got '${v}'`);
    }
    return n;
  };
}
