import { Command } from "commander";
import { VERSION } from "../shared/version.js";
import type { CliIo } from "./output/io.js";
import { registerLocalCommand } from "./commands/local.js";
import { registerDeployCommand } from "./commands/deploy.js";
import { registerDestroyCommand } from "./commands/destroy.js";
import { registerStatusCommand } from "./commands/status.js";
import { registerConnectCommand } from "./commands/connect.js";
import { registerBurstCommand } from "./commands/burst.js";
import { registerLogsCommand } from "./commands/logs.js";
import { registerDlqCommand } from "./commands/dlq.js";
import { registerVerifyCommand } from "./commands/verify.js";

/**
 * A command's action sets its exit code here instead of calling process.exit, so that output is
 * flushed and tests can run commands in-process.
 */
export interface CommandContext {
  io: CliIo;
  setExitCode(code: number): void;
  /** Resolves when the user presses Ctrl-C (SIGINT); long-running commands race against it. */
  interrupted: Promise<void>;
}

export function createProgram(context: CommandContext): Command {
  const program = new Command("wsq")
    .description(
      "Deploy and drive the API Gateway WebSocket -> SQS FIFO -> Lambda pattern,\n" +
        "on AWS (--target aws) or on the embedded local cloud (the default, --target local).",
    )
    .version(VERSION, "-V, --version")
    .option("--debug", "print stack traces and internal details with errors")
    .option("--no-color", "no colors (also: NO_COLOR=1)")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
    })
    .exitOverride();

  registerDeployCommand(program, context);
  registerConnectCommand(program, context);
  registerBurstCommand(program, context);
  registerStatusCommand(program, context);
  registerLogsCommand(program, context);
  registerDlqCommand(program, context);
  registerVerifyCommand(program, context);
  registerDestroyCommand(program, context);
  registerLocalCommand(program, context);

  program.addHelpText(
    "after",
    `
Exit codes: 0 ok, 1 failed (the message says why and how to fix it), 2 usage error,
            3 a check failed (lost, throttled, duplicated or disordered results; an assumption
              wsq verify checks did not hold), 130 interrupted.

Getting started (no AWS account needed):
  $ wsq deploy              start the local cloud and deploy the pattern to it
  $ wsq connect             chat with the WebSocket API
  $ wsq burst --count 1000  fire a burst and watch the queue absorb it
  $ wsq destroy --yes       tear it down

Found the local cloud behaving unlike AWS? Run \`wsq verify --target aws\` and report what it says.`,
  );
  return program;
}
