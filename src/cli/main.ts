import { CommanderError } from "commander";
import { createIo } from "./output/io.js";
import { createProgram } from "./program.js";
import { reportError } from "./errors.js";
import { ExitCode } from "../shared/errors.js";

/** The CLI's entry: parse, run one command, and turn its outcome into an exit code in one place. */
async function main(argv: string[]): Promise<number> {
  const io = createIo();
  let exitCode: number = ExitCode.ok;
  let markInterrupted: () => void = () => {};
  const interrupted = new Promise<void>((resolve) => {
    markInterrupted = resolve;
  });
  let interrupts = 0;
  process.on("SIGINT", () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(ExitCode.interrupted);
    exitCode = ExitCode.interrupted;
    markInterrupted();
  });
  const program = createProgram({ io, setExitCode: (code) => (exitCode = code), interrupted });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return reportError(error, io, argv.includes("--debug"));
  }
}

const code = await main(process.argv);
process.exitCode = code;
// Commands close their own sockets and servers; a command that leaves a handle open is a bug,
// but it must not keep the shell waiting. Give streams a moment to flush, then leave.
setTimeout(() => process.exit(code), 200).unref();
