/**
 * Messages between the local cloud and a worker process (one execution environment) over the
 * IPC channel of child_process.fork. Kept free of imports so the bootstrap stays self-contained.
 */

export interface InvocationContextFields {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
}

/** Parent → worker. */
export type ToWorker = {
  type: "invoke";
  requestId: string;
  /** The event as JSON text: it reaches the handler exactly as Lambda would deserialize it. */
  event: string;
  /** Epoch milliseconds when the function times out (getRemainingTimeInMillis). */
  deadline: number;
  context: InvocationContextFields;
};

export interface LambdaErrorShape {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** Worker → parent. */
export type FromWorker =
  /** Sent once the handler module is loaded (or failed to load): Lambda's INIT phase. */
  | { type: "init"; durationMs: number; error?: LambdaErrorShape }
  /** A console.* call, already formatted as Lambda formats it. */
  | { type: "log"; line: string }
  | { type: "result"; requestId: string; payload: string | undefined; maxRssKb: number }
  /** `fatal`: the runtime exits after this one (uncaught exception, unhandled rejection). */
  | { type: "error"; requestId: string | undefined; error: LambdaErrorShape; fatal: boolean; maxRssKb: number };
