import type { Command } from "commander";
import { DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import type { CommandContext } from "../program.js";
import type { DestroyFlags } from "../actions/destroy.js";

export function registerDestroyCommand(program: Command, context: CommandContext): void {
  program
    .command("destroy")
    .description("delete a deployed stack and everything in it (asks you to type the stack name, or pass --yes)")
    .option("--target <target>", "local (default) or aws")
    .option("--stack-name <name>", "the stack to delete", DEFAULT_STACK_NAME)
    .option("--region <region>", "AWS Region of the stack")
    .option("--profile <profile>", "AWS profile from ~/.aws (aws target)")
    .option("--endpoint-url <url>", "send every AWS call to this endpoint")
    .option("-y, --yes", "delete without asking (required without a terminal)")
    .option(
      "--purge-assets",
      "also empty and delete the asset bucket (stack wsq-assets) of this account and region; refused while another stack uses a handler in it",
    )
    .option("--json", "print the result as JSON on stdout")
    .action(async (flags: DestroyFlags) => (await import("../actions/destroy.js")).destroyAction(flags, context));
}
