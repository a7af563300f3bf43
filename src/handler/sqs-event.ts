/**
 * The SQS event Lambda's event source mapping delivers, as documented in "Using Lambda with
 * Amazon SQS" (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html), and the partial batch
 * response (FunctionResponseTypes: ReportBatchItemFailures). One shape for the handler and the
 * local cloud's poller that builds the event (src/local/lambda/sqs-event.ts): @types/aws-lambda's,
 * a devDependency of types only, erased from the bundle.
 */
export type {
  SQSBatchResponse as SqsBatchResponse,
  SQSEvent as SqsEvent,
  SQSMessageAttribute as SqsMessageAttribute,
  SQSRecord as SqsRecord,
} from "aws-lambda";
