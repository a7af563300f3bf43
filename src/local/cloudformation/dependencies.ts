import type { ApiGatewayApi, LambdaApi, LogsApi, S3Api, SqsApi } from "../contracts.js";

/** The typed APIs of the services the resource providers call (wired in server/local-cloud.ts). */
export interface CloudFormationDependencies {
  s3: S3Api;
  sqs: SqsApi;
  logs: LogsApi;
  lambda: LambdaApi;
  apigateway: ApiGatewayApi;
}
