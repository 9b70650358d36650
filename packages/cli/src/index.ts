// daxref: the CLI package. Its bin is `daxref`; `run` is the same CLI, in-process. The library
// (runMatrix, the catalogue, the world builders) is @daxref/bench.

export { run } from './cli';
export type { CliCommand, CommandContext } from './commands/context';
export { COMMANDS } from './commands/index';
