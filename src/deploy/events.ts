/**
 * What the deploy engine reports while it works: one stream of typed events, rendered by the CLI
 * (spinner on a TTY, plain lines otherwise, nothing with --json). The engine never writes output.
 */

/** One CloudFormation stack event, trimmed to what a person needs. */
export interface ResourceEvent {
  eventId: string;
  timestamp: Date;
  logicalId: string;
  resourceType: string;
  status: string;
  reason: string | undefined;
}

export interface ResourceFailure {
  logicalId: string;
  resourceType: string;
  status: string;
  reason: string;
}

export interface ProgressSnapshot {
  done: number;
  total: number;
  /** Logical ids whose last event is *_IN_PROGRESS. */
  inProgress: string[];
  /** Every failed resource, with its reason, in the order they failed. */
  failures: ResourceFailure[];
}

export interface ChangeSummary {
  action: string;
  logicalId: string;
  resourceType: string;
  /** "True", "False" or "Conditional" for modifications. */
  replacement: string | undefined;
}

export type StackOperation = "create" | "update" | "delete";

export type DeployEvent =
  /** A step of the command, such as starting the local cloud or uploading the handler. */
  | { type: "step"; message: string }
  /** Something worth telling once (the local cloud was started, the handler was already uploaded). */
  | { type: "note"; message: string }
  | { type: "changes"; stackName: string; operation: "create" | "update"; changes: ChangeSummary[] }
  | { type: "no-changes"; stackName: string }
  | { type: "operation-start"; stackName: string; operation: StackOperation; total: number }
  | { type: "resource"; stackName: string; event: ResourceEvent; progress: ProgressSnapshot }
  | { type: "operation-end"; stackName: string; operation: StackOperation; status: string; progress: ProgressSnapshot };

export type EmitDeployEvent = (event: DeployEvent) => void;
