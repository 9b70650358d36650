// The registration point: every `daxref` subcommand is a module here, in help order. A new
// command is a file exporting `register(program, ctx)` (see `CliCommand`), plus one import and
// one entry below.
import * as bench from './bench';
import * as check from './check';
import type { CliCommand } from './context';
import * as list from './list';
import * as trace from './trace';

/** The `daxref` subcommands, registered in this order. */
export const COMMANDS: readonly CliCommand[] = [list, check, trace, bench];
