/**
 * The API Gateway Management API on the local cloud:
 * `{POST|GET|DELETE} /_aws/execute-api/{apiId}/{stage}/@connections/{connectionId}`, so that
 * `new ApiGatewayManagementApiClient({ endpoint: "http://127.0.0.1:PORT/_aws/execute-api/{apiId}/{stage}" })`
 * works unchanged (REST-JSON errors with x-amzn-ErrorType).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
 */
import { AwsServiceError, isAwsServiceError } from "../aws-error.js";
import type { LocalLogger } from "../context.js";
import { EXECUTE_API_PATH_PREFIX } from "../contracts.js";
import type { HttpHandler, LocalResponse } from "../server/http-types.js";
import type { WebSocketGateway } from "./gateway.js";

function errorResponse(error: AwsServiceError, requestId: string): LocalResponse {
  return {
    status: error.status,
    headers: { "content-type": "application/json", "x-amzn-errortype": error.code, "x-amzn-requestid": requestId },
    body: JSON.stringify({ message: error.message }),
  };
}

/** A path segment decoded; a malformed escape is a path that names nothing (403, as API Gateway answers unknown paths). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AwsServiceError("ForbiddenException", "Forbidden", { status: 403 });
  }
}

export function createConnectionsHandler(gateway: WebSocketGateway, log: LocalLogger): HttpHandler {
  return async (request) => {
    try {
      const parts = request.rawPath.slice(EXECUTE_API_PATH_PREFIX.length).split("/");
      const [apiId, stage, marker, rawId, ...rest] = parts;
      // SigV4-signing clients may send the path encoded (`%40connections`, `%3D` in the id).
      if (
        apiId === undefined ||
        stage === undefined ||
        marker === undefined ||
        safeDecode(marker) !== "@connections" ||
        rawId === undefined ||
        rawId === "" ||
        rest.length > 0
      ) {
        throw new AwsServiceError("ForbiddenException", "Forbidden", { status: 403 });
      }
      const connectionId = safeDecode(rawId);
      const stageName = safeDecode(stage);
      switch (request.method) {
        case "POST":
          gateway.post(apiId, stageName, connectionId, request.body);
          return { status: 200, headers: { "x-amzn-requestid": request.requestId } };
        case "GET":
          return {
            status: 200,
            headers: { "content-type": "application/json", "x-amzn-requestid": request.requestId },
            body: JSON.stringify(gateway.info(apiId, stageName, connectionId)),
          };
        case "DELETE":
          gateway.disconnect(apiId, stageName, connectionId);
          return { status: 204, headers: { "x-amzn-requestid": request.requestId } };
        default:
          throw new AwsServiceError("ForbiddenException", "Forbidden", { status: 403 });
      }
    } catch (error) {
      if (isAwsServiceError(error)) return errorResponse(error, request.requestId);
      log.log("error", "@connections request failed", { error: error instanceof Error ? error.stack : String(error) });
      return errorResponse(new AwsServiceError("InternalServerErrorException", "Internal server error", { status: 500 }), request.requestId);
    }
  };
}
