#!/usr/bin/env node
// daxref: the command line (ARCHITECTURE §4). Bad input is one line on stderr and exit code 2.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BenchError, VERSION } from '@daxref/bench';
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index';

function program(setCode: (n: number) => void): Command {
  const p = new Command('daxref')
    .description('the reference lab for ZONE_DEVICE / FSDAX page reference-counting designs')
    .version(VERSION)
    .exitOverride()
    .showSuggestionAfterError(true);
  for (const c of COMMANDS) c.register(p, { setExitCode: setCode });
  return p;
}

/**
 * Runs `daxref` with `argv` (as `process.argv`: node, script, then the arguments) and resolves
 * to the exit code: 0, 1 (a scenario task threw; or `--fail-on-unexpected`), 2 (bad input: one
 * line on stderr naming what is wrong and what is valid).
 */
export async function run(argv: readonly string[]): Promise<number> {
  let code = 0;
  try {
    await program((n) => {
      code = n;
    }).parseAsync([...argv]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed its one-line message
    if (e instanceof BenchError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    process.stderr.write(`daxref: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

function isMain(): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  run(process.argv).then((code) => {
    process.exitCode = code;
  });
}
