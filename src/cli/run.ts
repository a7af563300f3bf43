import { CommanderError } from "commander";
import type { CliIo } from "./output/io.js";
import { createProgram } from "./program.js";
import { reportError } from "./errors.js";
import { ExitCode } from "../shared/errors.js";

/**
 * Runs one command line (`argv` as in process.argv: node, script, then the arguments) to its exit
 * code: the one place an outcome becomes a code. The binary (main.ts) gives it the process's
 * streams and Ctrl-C; tests give it captured streams and a promise they resolve themselves.
 */
export async function runCli(argv: readonly string[], io: CliIo, interrupted: Promise<void>): Promise<number> {
  let exitCode: number = ExitCode.ok;
  // Registered before any command listens, so a command that settles on Ctrl-C sees 130 already set.
  void interrupted.then(() => (exitCode = ExitCode.interrupted));
  const program = createProgram({ io, setExitCode: (code) => (exitCode = code), interrupted });
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return reportError(error, io, argv.includes("--debug"));
  }
}
