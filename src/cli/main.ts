import { createIo } from "./output/io.js";
import { runCli } from "./run.js";
import { ExitCode } from "../shared/errors.js";

/** The CLI's entry: the process's streams and Ctrl-C, one command run, its exit code. */
let markInterrupted: () => void = () => {};
const interrupted = new Promise<void>((resolve) => {
  markInterrupted = resolve;
});
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
