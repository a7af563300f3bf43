/**
 * An error a local service returns the way AWS returns it. Service logic throws these with
 * the AWS error code; each protocol adapter converts them to its wire shape in one place
 * (JSON `__type`, Query `<ErrorResponse>`, REST `x-amzn-ErrorType`, S3 `<Error>`).
 */
export type FaultSide = "Sender" | "Receiver";

export class AwsServiceError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fault: FaultSide;
  /**
   * For services that moved from Query to JSON with `awsQueryCompatible` (SQS), the legacy
   * Query error code, sent in `x-amzn-query-error` and in Query `<Code>`, e.g.
   * `AWS.SimpleQueueService.NonExistentQueue` for `QueueDoesNotExist`.
   */
  readonly queryCode: string | undefined;

  constructor(code: string, message: string, options: { status?: number; fault?: FaultSide; queryCode?: string } = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = options.status ?? 400;
    this.fault = options.fault ?? (this.status >= 500 ? "Receiver" : "Sender");
    this.queryCode = options.queryCode;
  }
}

export function isAwsServiceError(error: unknown): error is AwsServiceError {
  return error instanceof AwsServiceError;
}
