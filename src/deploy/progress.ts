import type { ProgressSnapshot, ResourceEvent, ResourceFailure } from "./events.js";

const STACK_RESOURCE_TYPE = "AWS::CloudFormation::Stack";

/** A status that ends a resource's part in the operation (success or failure). */
export function isTerminalResourceStatus(status: string): boolean {
  return !status.endsWith("_IN_PROGRESS");
}

/**
 * Resources done of total, what is in progress, and the failures with their reasons (kept, so the
 * cause of a rollback stays in view after the rollback's own events). Pure: fed with events.
 */
export class StackProgress {
  private readonly latest = new Map<string, string>();
  private readonly failures: ResourceFailure[] = [];

  constructor(
    private readonly stackName: string,
    private total: number,
  ) {}

  apply(event: ResourceEvent): void {
    if (event.resourceType === STACK_RESOURCE_TYPE && event.logicalId === this.stackName) {
      // The stack's own failure summary ("The following resource(s) failed…") is kept only if no
      // resource said why.
      if (event.status.endsWith("_FAILED") && event.reason && this.failures.length === 0) {
        this.failures.push({ logicalId: event.logicalId, resourceType: event.resourceType, status: event.status, reason: event.reason });
      }
      return;
    }
    this.latest.set(event.logicalId, event.status);
    // "Resource creation cancelled" is the consequence of another failure, not a cause.
    if (event.status.endsWith("_FAILED") && event.reason && !/cancelled/i.test(event.reason)) {
      this.failures.push({ logicalId: event.logicalId, resourceType: event.resourceType, status: event.status, reason: event.reason });
    }
    if (this.latest.size > this.total) this.total = this.latest.size;
  }

  snapshot(): ProgressSnapshot {
    const entries = [...this.latest.entries()];
    return {
      done: Math.min(this.total, entries.filter(([, status]) => isTerminalResourceStatus(status)).length),
      total: this.total,
      inProgress: entries.filter(([, status]) => !isTerminalResourceStatus(status)).map(([id]) => id),
      failures: [...this.failures],
    };
  }
}
