// The registration point: every `daxref` subcommand is a module here, in help order. A new
// command is a file exporting `register(program, ctx)` (see `CliCommand`), plus one import and
// one entry below.
import * as bench from './bench';
import * as check from './check';
import type { CliCommand } from './context';
import * as fuzz from './fuzz';
import * as list from './list';
import * as oracle from './oracle';
import * as report from './report';
import * as trace from './trace';

/** The `daxref` subcommands, registered in this order. */
export const COMMANDS: readonly CliCommand[] = [list, check, trace, bench, fuzz, report, oracle];
