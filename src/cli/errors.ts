import { CommanderError } from "commander";
import { ExitCode, isWsqError, describeError } from "../shared/errors.js";
import type { CliIo } from "./output/io.js";
import { translateAwsError } from "../shared/aws-errors.js";

/**
 * The only place a command's failure becomes output and an exit code. User errors print what
 * happened and the fix, never a stack; anything else is a wsq bug and prints its stack.
 */
export function reportError(error: unknown, io: CliIo, debug: boolean): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : ExitCode.usage;
  const translated = translateAwsError(error) ?? error;
  if (isWsqError(translated)) {
    io.err(`${io.color.red("Error:")} ${translated.message}`);
    if (translated.hint) io.err(`${io.color.dim("Fix:")} ${translated.hint}`);
    if (debug && translated.stack) io.err(io.color.dim(translated.stack));
    return translated.exitCode;
  }
  io.err(`${io.color.red("Internal error:")} ${describeError(error)}`);
  if (error instanceof Error && error.stack) io.err(io.color.dim(error.stack));
  io.err("This is a bug in wsq. Please report it with the command you ran and the output above.");
  return ExitCode.internal;
}
