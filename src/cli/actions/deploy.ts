import type { CommandContext } from "../program.js";
import { renderDeployResult } from "../output/deploy-renderer.js";
import { ask, canPrompt } from "../output/prompt.js";
import { runStackOperation } from "./stack-operation.js";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { checkDeployInput, deployPattern } from "../../deploy/deploy.js";

export interface DeployFlags {
  target?: string;
  stackName: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  parameter: string[];
  handler?: string;
  yes?: boolean;
  json?: boolean;
}

export async function deployAction(flags: DeployFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  const handler = flags.handler !== undefined ? { handlerFile: flags.handler } : {};
  await runStackOperation(context, flags, {
    check: () => void checkDeployInput({ stackName: flags.stackName, parameters: flags.parameter, ...handler }),
    run: ({ target, renderer, emit, signal }) =>
      deployPattern({
        target,
        stackName: flags.stackName,
        parameters: flags.parameter,
        ...handler,
        env: io.env,
        emit,
        signal,
        confirm: async ({ changes }) => {
          if (flags.yes) return true;
          if (!canPrompt(io) && target.kind === "local" && flags.endpointUrl === undefined) {
            // `npx wsq deploy` is README's set-up command and may run without a terminal; on wsq's
            // own local cloud nothing but the user's emulator is at stake, so apply and say so.
            emit({ type: "note", message: "No terminal to confirm on: applying the changes to the local cloud (AWS deploys always ask, or take --yes)." });
            return true;
          }
          if (!canPrompt(io)) {
            throw new WsqError(
              "CONFIRMATION_REQUIRED",
              `Not applying ${changes.length} change${changes.length === 1 ? "" : "s"} without confirmation: there is no terminal to ask on.`,
              {
                hint: "Review the changes listed above and run the command again with --yes.",
                exitCode: ExitCode.usage,
              },
            );
          }
          renderer.pause();
          const answer = await ask(io, "Apply these changes? [y/N] ", context.interrupted);
          renderer.resume();
          return /^y(es)?$/i.test(answer);
        },
      }),
    print: (result) => renderDeployResult(io, result),
  });
}
