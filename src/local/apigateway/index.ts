/**
 * API Gateway (v2, WebSocket APIs) on the local cloud: the control plane the CloudFormation
 * providers call, the WebSocket data plane on stage URLs, and the @connections API.
 */
import type { LocalContext } from "../context.js";
import type { ApiGatewayPlugin, LambdaApi, SqsPlugin } from "../contracts.js";
import { createConnectionsHandler } from "./connections-api.js";
import { ApiGatewayControlPlane } from "./control-plane.js";
import { WebSocketGateway, type GatewayOptions } from "./gateway.js";
import { ApiGatewayStore } from "./store.js";

export interface ApiGatewayDependencies {
  /** The whole SQS plugin: AWS integrations POST to its Query adapter, as API Gateway does. */
  sqs: SqsPlugin;
  lambda: LambdaApi;
}

export function createApiGatewayPlugin(
  context: LocalContext,
  deps: ApiGatewayDependencies,
  options: GatewayOptions = {},
): ApiGatewayPlugin & { gateway: WebSocketGateway } {
  const control = new ApiGatewayControlPlane(context, new ApiGatewayStore(context.db));
  const gateway = new WebSocketGateway(context, control, deps, options);
  return {
    api: control,
    http: createConnectionsHandler(gateway, context.log.child("apigateway")),
    handleUpgrade: (request, socket, head) => gateway.handleUpgrade(request, socket, head),
    gateway,
    close: () => gateway.close(),
  };
}
