/**
 * The SQS errors, with the HTTP status and legacy Query code each has in the service model
 * (@aws-sdk/client-sqs schema, `awsQueryError` trait). Service logic throws only these; the
 * adapters turn them into JSON `__type` + `x-amzn-query-error`, or Query `<ErrorResponse>`.
 */
import { AwsServiceError } from "../aws-error.js";

function error(code: string, status: number, queryCode?: string) {
  return (message: string): AwsServiceError => new AwsServiceError(code, message, { status, queryCode: queryCode ?? code });
}

export const sqsErrors = {
  queueDoesNotExist: (): AwsServiceError =>
    new AwsServiceError("QueueDoesNotExist", "The specified queue does not exist.", { status: 400, queryCode: "AWS.SimpleQueueService.NonExistentQueue" }),
  /** The model calls it QueueNameExists; SQS sends the Query code QueueAlreadyExists. */
  queueAlreadyExists: error("QueueNameExists", 400, "QueueAlreadyExists"),
  queueDeletedRecently: (): AwsServiceError =>
    new AwsServiceError("QueueDeletedRecently", "You must wait 60 seconds after deleting a queue before you can create another with the same name.", {
      status: 400,
      queryCode: "AWS.SimpleQueueService.QueueDeletedRecently",
    }),
  purgeQueueInProgress: error("PurgeQueueInProgress", 403, "AWS.SimpleQueueService.PurgeQueueInProgress"),
  invalidParameterValue: error("InvalidParameterValue", 400),
  missingParameter: (name: string): AwsServiceError =>
    new AwsServiceError("MissingParameter", `The request must contain the parameter ${name}.`, { status: 400, queryCode: "MissingParameter" }),
  invalidAttributeName: error("InvalidAttributeName", 400),
  invalidAttributeValue: error("InvalidAttributeValue", 400),
  receiptHandleIsInvalid: error("ReceiptHandleIsInvalid", 404),
  messageNotInflight: (): AwsServiceError =>
    new AwsServiceError("MessageNotInflight", "The message referred to isn't in flight.", {
      status: 400,
      queryCode: "AWS.SimpleQueueService.MessageNotInflight",
    }),
  batchEntryIdsNotDistinct: error("BatchEntryIdsNotDistinct", 400, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
  tooManyEntriesInBatchRequest: error("TooManyEntriesInBatchRequest", 400, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
  emptyBatchRequest: error("EmptyBatchRequest", 400, "AWS.SimpleQueueService.EmptyBatchRequest"),
  invalidBatchEntryId: error("InvalidBatchEntryId", 400, "AWS.SimpleQueueService.InvalidBatchEntryId"),
  batchRequestTooLong: error("BatchRequestTooLong", 400, "AWS.SimpleQueueService.BatchRequestTooLong"),
  invalidMessageContents: error("InvalidMessageContents", 400),
  unsupportedOperation: error("UnsupportedOperation", 400, "AWS.SimpleQueueService.UnsupportedOperation"),
  invalidAction: error("InvalidAction", 400),
  overLimit: error("OverLimit", 403),
  /**
   * A FIFO throughput quota refused the call. The model's RequestThrottled (403, Query code
   * RequestThrottled, Sender) is what SQS sends on both protocols; the SDKs list the name among
   * their throttling errors and retry it with backoff. The developer guide's throttling page says
   * "ThrottlingException", which is no SQS error in the model: see docs/sqs.md.
   */
  requestThrottled: error("RequestThrottled", 403, "RequestThrottled"),
  invalidAddress: error("InvalidAddress", 404),
  /** Message move tasks: a queue named by an ARN, or a task, that does not exist (404, as recorded from AWS). */
  resourceNotFound: error("ResourceNotFoundException", 404),
} as const;
