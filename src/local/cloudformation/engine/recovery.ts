/**
 * What happens to stack operations a crash (kill -9, power loss) interrupted. CloudFormation
 * itself never loses an operation; the local cloud approximates that by finishing, on the next
 * start, every operation the database shows in progress, in the direction that converges:
 *
 * - CREATE_IN_PROGRESS → the create is rolled back (ROLLBACK_COMPLETE), as AWS does when a
 *   create cannot finish; a re-run of `deploy` then replaces the stack.
 * - ROLLBACK_IN_PROGRESS → the rollback finishes (ROLLBACK_COMPLETE).
 * - DELETE_IN_PROGRESS → the delete finishes (DELETE_COMPLETE).
 * - UPDATE_IN_PROGRESS, UPDATE_ROLLBACK_IN_PROGRESS → rolled back to the pre-update snapshot
 *   (UPDATE_ROLLBACK_COMPLETE).
 * - UPDATE_COMPLETE_CLEANUP_IN_PROGRESS → cleanup finishes (UPDATE_COMPLETE).
 * - UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS → cleanup finishes (UPDATE_ROLLBACK_COMPLETE).
 * - Change sets still being computed → FAILED (create them again).
 *
 * Known gap: a resource whose provider call completed in the instant before the crash, but
 * whose physical id was not yet written, is not known to the stack and is left behind.
 */
import type { StackOperations } from "./operations.js";
import type { CloudFormationStore } from "./store.js";

const RESTART_REASON = "The local cloud stopped while this operation was in progress";

export function recoverInterruptedOperations(store: CloudFormationStore, operations: StackOperations): void {
  for (const stack of store.stacksInProgress()) {
    operations.start(stack.stackId, async () => {
      switch (stack.status) {
        case "CREATE_IN_PROGRESS":
          for (const resource of store.resources(stack.stackId)) {
            if (resource.status.endsWith("_IN_PROGRESS")) {
              store.putResource(stack.stackId, { ...resource, status: "CREATE_FAILED", statusReason: "Resource creation cancelled" });
              operations.event(stack, resource.logicalId, resource.physicalId, resource.type, "CREATE_FAILED", "Resource creation cancelled");
            }
          }
          operations.setStackStatus(stack, "ROLLBACK_IN_PROGRESS", `${RESTART_REASON}. Rollback requested by the local cloud on restart.`);
          await operations.rollbackCreate(stack);
          return;
        case "ROLLBACK_IN_PROGRESS":
          await operations.rollbackCreate(stack);
          return;
        case "DELETE_IN_PROGRESS":
          await operations.deleteResources(stack, []);
          return;
        case "UPDATE_IN_PROGRESS":
          operations.setStackStatus(stack, "UPDATE_ROLLBACK_IN_PROGRESS", `${RESTART_REASON}. Rollback requested by the local cloud on restart.`);
          await operations.rollbackUpdate(stack);
          return;
        case "UPDATE_ROLLBACK_IN_PROGRESS":
          await operations.rollbackUpdate(stack);
          return;
        case "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":
          await operations.finishUpdateCleanup(stack);
          return;
        case "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS":
          await operations.finishRollbackCleanup(stack);
          return;
        default:
          return;
      }
    });
  }
  for (const stack of store.listStacks()) {
    for (const changeSet of store.changeSets(stack.stackId)) {
      if (changeSet.status === "CREATE_PENDING" || changeSet.status === "CREATE_IN_PROGRESS") {
        store.putChangeSet({ ...changeSet, status: "FAILED", statusReason: `${RESTART_REASON}; create the change set again.` });
      } else if (changeSet.executionStatus === "EXECUTE_IN_PROGRESS") {
        store.putChangeSet({ ...changeSet, executionStatus: "EXECUTE_FAILED" });
      }
    }
  }
}
