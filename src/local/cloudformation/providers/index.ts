import type { ResourceProvider } from "./types.js";
import { iamPolicyProvider, iamRoleProvider } from "./iam.js";
import { sqsQueuePolicyProvider, sqsQueueProvider } from "./sqs.js";
import { logGroupProvider } from "./logs.js";
import { s3BucketPolicyProvider, s3BucketProvider } from "./s3.js";
import { eventSourceMappingProvider, lambdaFunctionProvider, lambdaPermissionProvider } from "./lambda.js";
import {
  apiProvider,
  deploymentProvider,
  integrationProvider,
  integrationResponseProvider,
  routeProvider,
  routeResponseProvider,
  stageProvider,
} from "./apigateway.js";

/** The resource types the local cloud can provision. Any other real type fails with a clear reason. */
export const RESOURCE_PROVIDERS: ReadonlyMap<string, ResourceProvider> = new Map<string, ResourceProvider>([
  ["AWS::SQS::Queue", sqsQueueProvider],
  ["AWS::SQS::QueuePolicy", sqsQueuePolicyProvider],
  ["AWS::ApiGatewayV2::Api", apiProvider],
  ["AWS::ApiGatewayV2::Route", routeProvider],
  ["AWS::ApiGatewayV2::RouteResponse", routeResponseProvider],
  ["AWS::ApiGatewayV2::Integration", integrationProvider],
  ["AWS::ApiGatewayV2::IntegrationResponse", integrationResponseProvider],
  ["AWS::ApiGatewayV2::Stage", stageProvider],
  ["AWS::ApiGatewayV2::Deployment", deploymentProvider],
  ["AWS::Lambda::Function", lambdaFunctionProvider],
  ["AWS::Lambda::EventSourceMapping", eventSourceMappingProvider],
  ["AWS::Lambda::Permission", lambdaPermissionProvider],
  ["AWS::IAM::Role", iamRoleProvider],
  ["AWS::IAM::Policy", iamPolicyProvider],
  ["AWS::Logs::LogGroup", logGroupProvider],
  ["AWS::S3::Bucket", s3BucketProvider],
  ["AWS::S3::BucketPolicy", s3BucketPolicyProvider],
]);
