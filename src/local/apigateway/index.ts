// Placeholder until the apigateway service lands; replaced by its real factory.
import type { LocalContext } from "../context.js";
import type { ApiGatewayPlugin, LambdaApi, SqsPlugin } from "../contracts.js";
import { notImplementedApi, notImplementedHandler } from "../server/not-implemented.js";

export interface ApiGatewayDependencies {
  /** The whole SQS plugin: AWS integrations POST to its Query adapter, as API Gateway does. */
  sqs: SqsPlugin;
  lambda: LambdaApi;
}

export function createApiGatewayPlugin(_context: LocalContext, _deps: ApiGatewayDependencies): ApiGatewayPlugin {
  return { api: notImplementedApi("apigateway"), http: notImplementedHandler("apigateway"), handleUpgrade: () => false, close: async () => {} };
}
