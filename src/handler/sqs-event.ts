/**
 * The SQS event Lambda's event source mapping delivers, as documented in "Using Lambda with
 * Amazon SQS" (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html). Every attribute value
 * is a string. Declared here rather than pulling in @types/aws-lambda for four interfaces.
 */
export interface SqsMessageAttribute {
  stringValue?: string;
  binaryValue?: string;
  stringListValues?: string[];
  binaryListValues?: string[];
  dataType: string;
}

export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId?: string;
    ApproximateFirstReceiveTimestamp?: string;
    /** FIFO queues only. */
    SequenceNumber?: string;
    MessageGroupId?: string;
    MessageDeduplicationId?: string;
    [name: string]: string | undefined;
  };
  messageAttributes: Record<string, SqsMessageAttribute | undefined>;
  md5OfBody?: string;
  eventSource: string;
  eventSourceARN: string;
  awsRegion: string;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

/** The partial batch response (FunctionResponseTypes: ReportBatchItemFailures). */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}
