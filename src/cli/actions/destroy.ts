import type { CommandContext } from "../program.js";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { destroyPattern } from "../../deploy/destroy.js";
import { validateStackName } from "../../deploy/template.js";
import { ask, canPrompt } from "../output/prompt.js";
import { runStackOperation } from "./stack-operation.js";

export interface DestroyFlags {
  target?: string;
  stackName: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  yes?: boolean;
  purgeAssets?: boolean;
  json?: boolean;
}

export async function destroyAction(flags: DestroyFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  await runStackOperation(context, flags, {
    check: () => validateStackName(flags.stackName),
    run: ({ target, renderer, emit, signal }) =>
      destroyPattern({
        target,
        stackName: flags.stackName,
        purgeAssets: flags.purgeAssets === true,
        env: io.env,
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
      }),
    print: (result) => {
      if (result.existed) io.out(`Stack ${result.stackName} deleted (${result.status}).`);
      if (result.assetsPurged) io.out("Asset bucket emptied and its stack deleted.");
    },
  });
}
