import type { Command } from "commander";
import type { CommandContext } from "../program.js";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { DEFAULT_STACK_NAME } from "../../deploy/stack-outputs.js";
import { destroyPattern } from "../../deploy/destroy.js";
import { prepareTarget } from "../../deploy/prepare-target.js";
import { validateStackName } from "../../deploy/template.js";
import { createDeployRenderer } from "../output/deploy-renderer.js";
import { ask, canPrompt } from "../output/prompt.js";
import { abortOn } from "../interrupt.js";

interface DestroyFlags {
  target?: string;
  stackName: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  yes?: boolean;
  purgeAssets?: boolean;
  json?: boolean;
}

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
    .option("--purge-assets", "also empty and delete the asset bucket (stack wsq-assets) of this account and region")
    .option("--json", "print the result as JSON on stdout")
    .action(async (flags: DestroyFlags) => {
      const { io } = context;
      const json = flags.json === true;
      const renderer = createDeployRenderer(io, json);
      const { emit } = renderer;
      const signal = abortOn(context.interrupted);
      try {
        validateStackName(flags.stackName);
        renderer.progress.update("Preparing the target…");
        const target = await prepareTarget(flags, { start: true, onStart: (message) => emit({ type: "note", message }) });
        const result = await destroyPattern({
          target,
          stackName: flags.stackName,
          purgeAssets: flags.purgeAssets === true,
          emit,
          signal,
          confirm: async ({ stackName, resourceCount }) => {
            if (flags.yes) return true;
            if (!canPrompt(io)) {
              throw new WsqError("CONFIRMATION_REQUIRED", `Not deleting stack ${stackName} without confirmation: there is no terminal to ask on.`, {
                hint: "Run the command again with --yes.",
                exitCode: ExitCode.usage,
              });
            }
            renderer.pause();
            const answer = await ask(
              io,
              `This deletes stack ${io.color.bold(stackName)} and its ${resourceCount} resources, queued messages included. Type ${io.color.bold(stackName)} to confirm: `,
              context.interrupted,
            );
            renderer.resume();
            return answer === stackName;
          },
        });
        renderer.stop();
        if (json) io.out(JSON.stringify(result, null, 2));
        else {
          if (result.existed) io.out(`Stack ${result.stackName} deleted (${result.status}).`);
          if (result.assetsPurged) io.out("Asset bucket emptied and its stack deleted.");
        }
      } catch (error) {
        renderer.stop();
        throw error;
      }
    });
}
