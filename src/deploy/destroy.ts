/** `wsq destroy`: delete the pattern stack, follow it to DELETE_COMPLETE, forget its outputs. */
import { ListStackResourcesCommand } from "@aws-sdk/client-cloudformation";
import { WsqError } from "../shared/errors.js";
import type { Target } from "../shared/target.js";
import { assetUsers, purgeAssets } from "./assets.js";
import { createDeployClients, pollIntervalMs } from "./clients.js";
import type { EmitDeployEvent } from "./events.js";
import { targetFlagFor } from "./prepare-target.js";
import { deleteStack } from "./stack-operations.js";
import { describeStack } from "./stack-watch.js";
import { forgetStackOutputs } from "./stack-outputs.js";
import { validateStackName } from "./template.js";

export interface DestroyOptions {
  target: Target;
  stackName: string;
  purgeAssets: boolean;
  emit: EmitDeployEvent;
  /** Asked before anything is deleted; false cancels. */
  confirm: (request: { stackName: string; resourceCount: number }) => Promise<boolean>;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Overrides the target's polling interval (tests). */
  pollMs?: number;
}

export interface DestroyResult {
  stackName: string;
  target: Target["kind"];
  /** False when there was no such stack (nothing to do, not an error). */
  existed: boolean;
  status: string | undefined;
  assetsPurged: boolean;
}

export async function destroyPattern(options: DestroyOptions): Promise<DestroyResult> {
  const { target, emit } = options;
  const stackName = validateStackName(options.stackName);
  const targetFlag = targetFlagFor(target);
  const clients = createDeployClients(target);
  try {
    const pollMs = options.pollMs ?? pollIntervalMs(target);
    if (options.purgeAssets) {
      // Checked before anything is deleted: another stack's handler zip in the bucket is what its
      // rollback and its next update need, and a stack cannot be rolled back once it is gone.
      const { bucket, users } = await assetUsers(clients.cloudFormation, [stackName]);
      if (users.length > 0) {
        const lines = users.map((u) => `  ${u.stackName} (${u.status})${u.key ? `: ${u.key}` : ""}`).join("\n");
        throw new WsqError(
          "ASSETS_IN_USE",
          `Not purging the asset bucket ${bucket}: ${users.length === 1 ? "another stack uses" : `${users.length} other stacks use`} a handler in it, and could no longer roll back or update without it. Nothing was deleted.\n${lines}`,
          {
            hint: `Destroy ${users.length === 1 ? "that stack" : "those stacks"} first (${users.map((u) => `\`wsq destroy --stack-name ${u.stackName}${targetFlag}\``).join(", ")}), then purge; or run without --purge-assets to delete only ${stackName}.`,
          },
        );
      }
    }
    const stack = await describeStack(clients.cloudFormation, stackName);
    let status: string | undefined;
    if (stack) {
      let resourceCount = 0;
      let token: string | undefined;
      do {
        const page = await clients.cloudFormation.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token }));
        resourceCount += page.StackResourceSummaries?.length ?? 0;
        token = page.NextToken;
      } while (token);
      if (!(await options.confirm({ stackName, resourceCount }))) {
        throw new WsqError("CANCELLED", `Destroy of stack ${stackName} cancelled; nothing was deleted.`);
      }
      status = await deleteStack({
        cfn: clients.cloudFormation,
        stack,
        stackName,
        resourceCount,
        pollMs,
        emit,
        targetFlag,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } else {
      emit({ type: "note", message: `No stack named ${stackName} on the ${target.kind} target; nothing to delete.` });
    }
    forgetStackOutputs(target, stackName, options.env);
    let assetsPurged = false;
    if (options.purgeAssets) {
      if (!stack && !(await options.confirm({ stackName: "wsq-assets", resourceCount: 1 }))) {
        throw new WsqError("CANCELLED", "Purge of the asset bucket cancelled.");
      }
      assetsPurged = await purgeAssets({
        cfn: clients.cloudFormation,
        s3: clients.s3,
        pollMs,
        emit,
        targetFlag,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (!assetsPurged) emit({ type: "note", message: "No asset stack to purge." });
    }
    return { stackName, target: target.kind, existed: stack !== undefined, status, assetsPurged };
  } finally {
    clients.destroy();
  }
}
