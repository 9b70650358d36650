import type { Command } from 'commander';

/** What a command gets besides its arguments: how to set the process's exit code. */
export interface CommandContext {
  /** Sets the exit code `daxref` ends with (0 unless a command sets it). */
  setExitCode(code: number): void;
}

/**
 * A command module: one file in `src/commands/`, listed in `COMMANDS` (`commands/index.ts`). It
 * adds its subcommand to the program; errors it throws as `BenchError` become one line and exit 2.
 */
export interface CliCommand {
  /** Adds the subcommand (`program.command('name')…action(…)`) to the `daxref` program. */
  register(program: Command, ctx: CommandContext): void;
}
