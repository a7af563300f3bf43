import type { Command } from "commander";
import { DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import type { CommandContext } from "../program.js";
import type { StatusFlags } from "../actions/status.js";

export function registerStatusCommand(program: Command, context: CommandContext): void {
  program
    .command("status")
    .description("show a deployed stack: status, outputs, queue depth (visible, in flight, dead-letter), function settings")
    .option("--target <target>", "local (default) or aws")
    .option("--stack-name <name>", "the stack to show", DEFAULT_STACK_NAME)
    .option("--region <region>", "AWS Region of the stack")
    .option("--profile <profile>", "AWS profile from ~/.aws (aws target)")
    .option("--endpoint-url <url>", "send every AWS call to this endpoint")
    .option("--json", "print the status as JSON on stdout")
    .action(async (flags: StatusFlags) => (await import("../actions/status.js")).statusAction(flags, context));
}
