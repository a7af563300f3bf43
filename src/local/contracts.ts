/**
 * The seams between local services. Each service folder implements its part; the composition
 * root (server/local-cloud.ts) wires them in dependency order:
 *
 *   s3 → sqs → logs → lambda (sqs, s3, logs) → apigateway (sqs, lambda) → cloudformation (all)
 *
 * Control-plane inputs and outputs use the AWS SDK's own request/response types, so that a
 * CloudFormation provider passes exactly what the real API would receive, and the JSON protocol
 * adapters are a thin (de)serialisation of these calls. Errors are thrown as AwsServiceError.
 */
import type * as sqs from "@aws-sdk/client-sqs";
import type * as lambda from "@aws-sdk/client-lambda";
import type * as apigw from "@aws-sdk/client-apigatewayv2";
import type { Duplex } from "node:stream";
import type { IncomingMessage } from "node:http";
import type { HttpHandler } from "./server/http-types.js";

/** Every service can be closed; close() finishes in-flight writes before it resolves. */
export interface Closable {
  close(): Promise<void>;
}

// ---------------------------------------------------------------- S3
export interface S3ObjectInfo {
  bucket: string;
  key: string;
  size: number;
  /** Quoted hex MD5, as S3 returns it. */
  etag: string;
  lastModified: Date;
  contentType: string | undefined;
}

export interface S3Api {
  createBucket(bucket: string): Promise<void>;
  deleteBucket(bucket: string): Promise<void>;
  bucketExists(bucket: string): Promise<boolean>;
  putObject(bucket: string, key: string, body: Uint8Array, contentType?: string): Promise<S3ObjectInfo>;
  /** Throws AwsServiceError NoSuchKey / NoSuchBucket. */
  getObject(bucket: string, key: string): Promise<{ info: S3ObjectInfo; body: Buffer }>;
  deleteObject(bucket: string, key: string): Promise<void>;
  /**
   * PutBucketPolicy (CloudFormation's AWS::S3::BucketPolicy): the policy document as JSON text,
   * checked as S3 checks it (MalformedPolicy) and recorded; the local cloud does not enforce it.
   * Throws NoSuchBucket.
   */
  putBucketPolicy(bucket: string, policy: string): Promise<void>;
  /** DeleteBucketPolicy: nothing to do when the bucket has no policy, as on S3. Throws NoSuchBucket. */
  deleteBucketPolicy(bucket: string): Promise<void>;
}

export interface S3Plugin extends Closable {
  api: S3Api;
  /** REST (path-style) adapter. */
  http: HttpHandler;
}

// ---------------------------------------------------------------- SQS
export interface SqsApi {
  createQueue(input: sqs.CreateQueueRequest): Promise<sqs.CreateQueueResult>;
  getQueueUrl(input: sqs.GetQueueUrlRequest): Promise<sqs.GetQueueUrlResult>;
  listQueues(input: sqs.ListQueuesRequest): Promise<sqs.ListQueuesResult>;
  deleteQueue(input: sqs.DeleteQueueRequest): Promise<void>;
  getQueueAttributes(input: sqs.GetQueueAttributesRequest): Promise<sqs.GetQueueAttributesResult>;
  setQueueAttributes(input: sqs.SetQueueAttributesRequest): Promise<void>;
  purgeQueue(input: sqs.PurgeQueueRequest): Promise<void>;
  tagQueue(input: sqs.TagQueueRequest): Promise<void>;
  untagQueue(input: sqs.UntagQueueRequest): Promise<void>;
  listQueueTags(input: sqs.ListQueueTagsRequest): Promise<sqs.ListQueueTagsResult>;
  sendMessage(input: sqs.SendMessageRequest): Promise<sqs.SendMessageResult>;
  sendMessageBatch(input: sqs.SendMessageBatchRequest): Promise<sqs.SendMessageBatchResult>;
  /** Long polls up to WaitTimeSeconds; resolves early (empty) when `signal` aborts. */
  receiveMessage(input: sqs.ReceiveMessageRequest, signal?: AbortSignal): Promise<sqs.ReceiveMessageResult>;
  deleteMessage(input: sqs.DeleteMessageRequest): Promise<void>;
  deleteMessageBatch(input: sqs.DeleteMessageBatchRequest): Promise<sqs.DeleteMessageBatchResult>;
  changeMessageVisibility(input: sqs.ChangeMessageVisibilityRequest): Promise<void>;
  changeMessageVisibilityBatch(input: sqs.ChangeMessageVisibilityBatchRequest): Promise<sqs.ChangeMessageVisibilityBatchResult>;
  /** `arn:aws:sqs:REGION:ACCOUNT:NAME` → queue URL, or undefined if no such queue. */
  queueUrlFromArn(arn: string): string | undefined;
  /** `/ACCOUNT/NAME` (the path of a queue URL) → queue URL, or undefined. */
  queueUrlFromPath(path: string): string | undefined;
}

export interface SqsPlugin extends Closable {
  api: SqsApi;
  /** AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.*`), what @aws-sdk/client-sqs speaks. */
  json: HttpHandler;
  /**
   * Query protocol (form-encoded, XML replies): what API Gateway's AWS integration POSTs to the
   * queue URL, and what older clients speak. API Gateway calls this in-process with the exact
   * request it would send over the wire.
   */
  query: HttpHandler;
  /** Whether AWS's FIFO throughput quotas are enforced (`wsq local start --no-quotas` turns them off). */
  quotasEnforced: boolean;
}

// ---------------------------------------------------------------- CloudWatch Logs
export interface LogsApi {
  createLogGroup(name: string, retentionInDays?: number): Promise<void>;
  deleteLogGroup(name: string): Promise<void>;
  /** Appends events to a stream, creating group and stream as Lambda does. */
  putLogEvents(group: string, stream: string, events: { timestamp: number; message: string }[]): void;
}

export interface LogsPlugin extends Closable {
  api: LogsApi;
  /** AWS JSON 1.1 (`X-Amz-Target: Logs_20140328.*`): FilterLogEvents, GetLogEvents, Describe*. */
  json: HttpHandler;
}

// ---------------------------------------------------------------- Lambda
export interface InvokeOutcome {
  /** The function's JSON result (undefined when it returned nothing). */
  payload: unknown;
  /** Set when the invocation failed: "Unhandled" (threw, crashed, timed out). */
  functionError?: "Unhandled" | "Handled";
  /** For failures: { errorType, errorMessage, trace? } as Lambda reports it. */
  error?: { errorType: string; errorMessage: string; trace?: string[] };
  requestId: string;
}

export interface LambdaApi {
  createFunction(input: lambda.CreateFunctionRequest): Promise<lambda.FunctionConfiguration>;
  updateFunctionCode(input: lambda.UpdateFunctionCodeRequest): Promise<lambda.FunctionConfiguration>;
  updateFunctionConfiguration(input: lambda.UpdateFunctionConfigurationRequest): Promise<lambda.FunctionConfiguration>;
  getFunctionConfiguration(input: lambda.GetFunctionConfigurationRequest): Promise<lambda.FunctionConfiguration>;
  deleteFunction(input: lambda.DeleteFunctionRequest): Promise<void>;
  putFunctionConcurrency(input: lambda.PutFunctionConcurrencyRequest): Promise<void>;
  deleteFunctionConcurrency(input: lambda.DeleteFunctionConcurrencyRequest): Promise<void>;
  /** Recorded (shape-checked), not enforced; see FIDELITY.md. */
  addPermission(input: lambda.AddPermissionRequest): Promise<{ Statement: string }>;
  removePermission(input: lambda.RemovePermissionRequest): Promise<void>;
  createEventSourceMapping(input: lambda.CreateEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration>;
  updateEventSourceMapping(input: lambda.UpdateEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration>;
  deleteEventSourceMapping(input: lambda.DeleteEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration>;
  getEventSourceMapping(input: lambda.GetEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration>;
  listEventSourceMappings(input: lambda.ListEventSourceMappingsRequest): Promise<lambda.ListEventSourceMappingsResponse>;
  /** Synchronous invoke by name or ARN. */
  invoke(functionNameOrArn: string, payload: unknown): Promise<InvokeOutcome>;
}

export interface LambdaPlugin extends Closable {
  api: LambdaApi;
  /** REST-JSON subset under /2015-03-31/ (GetFunctionConfiguration, Invoke, event source mappings). */
  http: HttpHandler;
}

// ---------------------------------------------------------------- API Gateway (v2, WebSocket)
export interface ApiGatewayApi {
  createApi(input: apigw.CreateApiRequest): Promise<apigw.CreateApiResponse>;
  updateApi(input: apigw.UpdateApiRequest): Promise<apigw.UpdateApiResponse>;
  getApi(input: apigw.GetApiRequest): Promise<apigw.GetApiResponse>;
  deleteApi(input: apigw.DeleteApiRequest): Promise<void>;
  createRoute(input: apigw.CreateRouteRequest): Promise<apigw.CreateRouteResult>;
  updateRoute(input: apigw.UpdateRouteRequest): Promise<apigw.UpdateRouteResult>;
  deleteRoute(input: apigw.DeleteRouteRequest): Promise<void>;
  createRouteResponse(input: apigw.CreateRouteResponseRequest): Promise<apigw.CreateRouteResponseResponse>;
  updateRouteResponse(input: apigw.UpdateRouteResponseRequest): Promise<apigw.UpdateRouteResponseResponse>;
  deleteRouteResponse(input: apigw.DeleteRouteResponseRequest): Promise<void>;
  createIntegration(input: apigw.CreateIntegrationRequest): Promise<apigw.CreateIntegrationResult>;
  updateIntegration(input: apigw.UpdateIntegrationRequest): Promise<apigw.UpdateIntegrationResult>;
  deleteIntegration(input: apigw.DeleteIntegrationRequest): Promise<void>;
  createIntegrationResponse(input: apigw.CreateIntegrationResponseRequest): Promise<apigw.CreateIntegrationResponseResponse>;
  updateIntegrationResponse(input: apigw.UpdateIntegrationResponseRequest): Promise<apigw.UpdateIntegrationResponseResponse>;
  deleteIntegrationResponse(input: apigw.DeleteIntegrationResponseRequest): Promise<void>;
  createStage(input: apigw.CreateStageRequest): Promise<apigw.CreateStageResponse>;
  updateStage(input: apigw.UpdateStageRequest): Promise<apigw.UpdateStageResponse>;
  deleteStage(input: apigw.DeleteStageRequest): Promise<void>;
  createDeployment(input: apigw.CreateDeploymentRequest): Promise<apigw.CreateDeploymentResponse>;
  deleteDeployment(input: apigw.DeleteDeploymentRequest): Promise<void>;
}

export interface ApiGatewayPlugin extends Closable {
  api: ApiGatewayApi;
  /** @connections management API and anything else under the API endpoint path prefix. */
  http: HttpHandler;
  /** WebSocket upgrades for stage URLs. Returns false when the URL is not a stage of any API. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

// ---------------------------------------------------------------- CloudFormation
export interface CloudFormationPlugin extends Closable {
  /** Query protocol (Action=CreateStack&Version=2010-05-15, XML replies). */
  query: HttpHandler;
}

/**
 * Where a WebSocket API lives on the local cloud. On AWS, ApiEndpoint is
 * `wss://{apiId}.execute-api.{region}.amazonaws.com`; locally one port serves every API, so the
 * API id moves into the path: `ws://127.0.0.1:PORT/_aws/execute-api/{apiId}`. The stage URL is
 * `ApiEndpoint + "/" + stage` and the @connections endpoint the same with http(s), on both targets.
 */
export const EXECUTE_API_PATH_PREFIX = "/_aws/execute-api/";

export function localApiEndpoint(baseUrl: string, apiId: string): string {
  return `${baseUrl.replace(/^http/, "ws")}${EXECUTE_API_PATH_PREFIX}${apiId}`;
}
