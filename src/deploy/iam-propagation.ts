/**
 * IAM is eventually consistent: a policy CloudFormation has just attached to the function's role
 * may not have reached Lambda yet when the event source mapping is created, and Lambda, which
 * checks the role's SQS permissions at that moment, refuses the mapping with "The provided
 * execution role does not have permissions to call ReceiveMessage on SQS" (a known cause of failed
 * first deploys: aws-cdk #6770; terraform-provider-aws retries it). The template makes the mapping
 * wait for the queue policy (DependsOn), which narrows the window without closing it; deploy
 * recognises the failure in the stack events and tries once more, and says what to do when the
 * second attempt fails too.
 */
import { WsqError } from "../shared/errors.js";
import type { ResourceFailure } from "./events.js";
import { failureLines } from "./stack-state.js";
import type { RetryOnce } from "./stack-operations.js";

/** Lambda's message, as CloudFormation quotes it in the resource's status reason. */
const ROLE_CANNOT_USE_QUEUE = /execution role does not have permissions to call \w+ on SQS/i;

export function isIamPropagationFailure(failure: Pick<ResourceFailure, "reason">): boolean {
  return ROLE_CANNOT_USE_QUEUE.test(failure.reason);
}

export const iamPropagationRetry: RetryOnce = {
  reason(failures) {
    const failure = failures.find(isIamPropagationFailure);
    if (failure === undefined) return undefined;
    return (
      `${failure.logicalId} failed: Lambda could not use the function role's SQS permissions yet (${failure.reason}). ` +
      "IAM is eventually consistent, and the role's policy was attached moments before."
    );
  },
  giveUp(stackName, operation, status, failures, targetFlag) {
    const rolledBack = status === "ROLLBACK_COMPLETE" ? "was rolled back (ROLLBACK_COMPLETE)" : "was rolled back to its previous state";
    return new WsqError(
      "IAM_NOT_PROPAGATED",
      `The ${operation} of stack ${stackName} failed twice, and ${rolledBack}: Lambda could not use the function role's SQS permissions.${failureLines(failures.filter(isIamPropagationFailure))}`,
      {
        hint:
          `IAM is eventually consistent: a role's new permissions usually reach Lambda within seconds, sometimes longer. Wait a minute and run \`wsq deploy --stack-name ${stackName}${targetFlag}\` again. ` +
          "If it keeps failing, the role really cannot receive from the queue: check that no service control policy or permissions boundary denies it sqs:ReceiveMessage, sqs:DeleteMessage or sqs:GetQueueAttributes.",
      },
    );
  },
};
