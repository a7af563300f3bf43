/**
 * What a stack's current status means for the next operation, and the errors that explain the
 * states CloudFormation will not update from, each with the fix.
 */
import type { Stack } from "@aws-sdk/client-cloudformation";
import { WsqError } from "../shared/errors.js";
import type { ResourceFailure } from "./events.js";

export type DeployMode = "create" | "update";

export function failureLines(failures: readonly ResourceFailure[]): string {
  if (failures.length === 0) return "";
  return `\n${failures.map((f) => `  ${f.logicalId} (${f.resourceType}) ${f.status}: ${f.reason}`).join("\n")}`;
}

/**
 * For `deploy`: create, update, or an error naming what to do instead. A stack in
 * ROLLBACK_COMPLETE never gets here: deployStack deletes it first (it holds nothing).
 */
export function deployModeFor(stack: Stack | undefined, stackName: string, targetFlag: string, pastFailures: readonly ResourceFailure[] = []): DeployMode {
  if (stack === undefined) return "create";
  const status = stack.StackStatus ?? "";
  // A change set that was created but never executed leaves the stack in review: create again.
  if (status === "REVIEW_IN_PROGRESS") return "create";
  if (status === "ROLLBACK_FAILED" || status === "DELETE_FAILED") {
    throw new WsqError("STACK_BROKEN", `Stack ${stackName} is in ${status}: a rollback or deletion could not finish.${failureLines(pastFailures)}`, {
      hint: `Run \`wsq destroy --stack-name ${stackName}${targetFlag}\` to try the deletion again; a resource that cannot be deleted must be removed by hand (console, or \`aws cloudformation delete-stack --retain-resources\`).`,
    });
  }
  if (status === "UPDATE_ROLLBACK_FAILED") {
    throw new WsqError(
      "ROLLBACK_FAILED",
      `Stack ${stackName} is in UPDATE_ROLLBACK_FAILED: the rollback of its last update failed.${failureLines(pastFailures)}`,
      {
        hint: `Fix the resource named above, then run \`aws cloudformation continue-update-rollback --stack-name ${stackName}\` (skip it with --resources-to-skip if it cannot be fixed), and deploy again.`,
      },
    );
  }
  if (status.endsWith("_IN_PROGRESS")) {
    throw new WsqError("STACK_BUSY", `Stack ${stackName} is busy (${status}).`, {
      hint: `Wait until it finishes (\`wsq status --stack-name ${stackName}${targetFlag}\`), then run the command again.`,
    });
  }
  return "update";
}

/** The error for an operation that ended in something other than success. */
export function operationFailedError(stackName: string, operation: string, status: string, failures: readonly ResourceFailure[], targetFlag: string): WsqError {
  const lines = failureLines(failures);
  if (status === "ROLLBACK_FAILED" || status === "UPDATE_ROLLBACK_FAILED") {
    return new WsqError("ROLLBACK_FAILED", `The ${operation} of stack ${stackName} failed, and so did its rollback (${status}).${lines}`, {
      hint:
        status === "UPDATE_ROLLBACK_FAILED"
          ? `Fix the resource named above, then run \`aws cloudformation continue-update-rollback --stack-name ${stackName}\`, and deploy again.`
          : `Delete the stack with \`wsq destroy --stack-name ${stackName}${targetFlag}\`, fix the cause above, and deploy again.`,
    });
  }
  if (status === "ROLLBACK_COMPLETE") {
    return new WsqError("DEPLOY_FAILED", `Stack ${stackName} failed to create and was rolled back (ROLLBACK_COMPLETE).${lines}`, {
      hint: `Fix the cause above, delete the stack with \`wsq destroy --stack-name ${stackName}${targetFlag} --yes\`, and deploy again.`,
    });
  }
  if (status === "DELETE_FAILED") {
    return new WsqError("DESTROY_FAILED", `Stack ${stackName} could not be deleted (DELETE_FAILED).${lines}`, {
      hint: `Run the destroy again; a resource that cannot be deleted must be removed by hand (console, or \`aws cloudformation delete-stack --retain-resources\`).`,
    });
  }
  return new WsqError("DEPLOY_FAILED", `The ${operation} of stack ${stackName} failed (${status}); the stack was rolled back to its previous state.${lines}`, {
    hint: "Fix the cause above and deploy again.",
  });
}
