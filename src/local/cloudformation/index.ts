// Placeholder until the cloudformation service lands; replaced by its real factory.
import type { LocalContext } from "../context.js";
import type { ApiGatewayApi, CloudFormationPlugin, LambdaApi, LogsApi, S3Api, SqsApi } from "../contracts.js";
import { notImplementedHandler } from "../server/not-implemented.js";

export interface CloudFormationDependencies {
  s3: S3Api;
  sqs: SqsApi;
  logs: LogsApi;
  lambda: LambdaApi;
  apigateway: ApiGatewayApi;
}

export function createCloudFormationPlugin(_context: LocalContext, _deps: CloudFormationDependencies): CloudFormationPlugin {
  return { query: notImplementedHandler("cloudformation"), close: async () => {} };
}
