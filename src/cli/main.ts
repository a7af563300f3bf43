import { createIo } from "./output/io.js";
import { runCli } from "./run.js";
import { ExitCode } from "../shared/errors.js";

/** The CLI's entry: the process's streams and Ctrl-C, one command run, its exit code. */
let markInterrupted: () => void = () => {};
const interrupted = new Promise<void>((resolve) => {
  markInterrupted = resolve;
});
// A reader that leaves early (`wsq burst --help | head -3`, `wsq status --json | jq -e .x` failing)
// closes the pipe: the next write fails with EPIPE. That is the reader's choice, not an error of
// wsq's: stop quietly with the code so far instead of an unhandled 'error' and a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(typeof process.exitCode === "number" ? process.exitCode : ExitCode.ok);
    throw error;
  });
}
let interrupts = 0;
process.on("SIGINT", () => {
  interrupts += 1;
  if (interrupts > 1) process.exit(ExitCode.interrupted);
  markInterrupted();
});

const code = await runCli(process.argv, createIo(), interrupted);
process.exitCode = code;
// Commands close their own sockets and servers; a command that leaves a handle open is a bug,
// but it must not keep the shell waiting. Give streams a moment to flush, then leave.
setTimeout(() => process.exit(code), 200).unref();
