/** What an execution environment needs to know of a function, fixed for the environment's lifetime. */
export interface FunctionSpec {
  name: string;
  arn: string;
  runtime: string;
  handler: string;
  codeDirectory: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment: Record<string, string>;
  /** LoggingConfig.LogGroup: `/aws/lambda/<name>` unless the function names another. */
  logGroup: string;
  /** ReservedConcurrentExecutions, when set. */
  reservedConcurrency: number | undefined;
  /** Changes with every code or configuration update: environments of an older revision are retired. */
  revisionId: string;
}
