/**
 * In-memory stand-ins for the service APIs the resource providers call, recording every call.
 * They exist for the engine tests that run while the real Lambda and API Gateway services are
 * built elsewhere; the integration tests use the real services.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { AwsServiceError } from "../../../src/local/aws-error.js";
import type { CloudFormationDependencies } from "../../../src/local/cloudformation/index.js";

export interface Call {
  service: string;
  method: string;
  input: unknown;
}

function recorder<T extends object>(service: string, calls: Call[], methods: Record<string, (input: never) => unknown>): T {
  return new Proxy({} as T, {
    get(_target, property) {
      if (property === "then") return undefined;
      const name = String(property);
      return async (input: unknown) => {
        calls.push({ service, method: name, input });
        const method = methods[name];
        if (method === undefined) return {};
        return method(input as never);
      };
    },
  });
}

export function fakeDependencies(
  calls: Call[],
  baseUrl = "http://127.0.0.1:4510",
): CloudFormationDependencies & { failNext(method: string, error: AwsServiceError): void } {
  const failures = new Map<string, AwsServiceError>();
  const fail = (method: string): void => {
    const error = failures.get(method);
    if (error !== undefined) {
      failures.delete(method);
      throw error;
    }
  };
  const queues = new Set<string>();
  const id = () => randomUUID().replace(/-/g, "").slice(0, 10);
  const deps = {
    s3: recorder("s3", calls, { createBucket: () => undefined, deleteBucket: () => undefined, bucketExists: () => true }),
    sqs: recorder("sqs", calls, {
      createQueue: (input: { QueueName: string }) => {
        fail("createQueue");
        const url = `${baseUrl}/000000000000/${input.QueueName}`;
        queues.add(url);
        return { QueueUrl: url };
      },
      deleteQueue: (input: { QueueUrl: string }) => void queues.delete(input.QueueUrl),
    }),
    logs: recorder("logs", calls, {}),
    lambda: recorder("lambda", calls, {
      createFunction: (input: { FunctionName: string }) => {
        fail("createFunction");
        return { FunctionName: input.FunctionName, FunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${input.FunctionName}` };
      },
      updateFunctionConfiguration: (input: { FunctionName: string }) => {
        fail("updateFunctionConfiguration");
        return { FunctionName: input.FunctionName, FunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${input.FunctionName}` };
      },
      createEventSourceMapping: () => {
        const uuid = randomUUID();
        return { UUID: uuid, EventSourceMappingArn: `arn:aws:lambda:us-east-1:000000000000:event-source-mapping:${uuid}` };
      },
      addPermission: () => ({ Statement: "{}" }),
    }),
    apigateway: recorder("apigateway", calls, {
      createApi: () => {
        const apiId = id();
        return { ApiId: apiId, ApiEndpoint: `ws://127.0.0.1:4510/_aws/execute-api/${apiId}` };
      },
      updateApi: () => ({}),
      createRoute: () => ({ RouteId: id() }),
      createRouteResponse: () => ({ RouteResponseId: id() }),
      createIntegration: () => ({ IntegrationId: id() }),
      createIntegrationResponse: () => ({ IntegrationResponseId: id() }),
      createStage: (input: { StageName: string }) => ({ StageName: input.StageName }),
      createDeployment: () => ({ DeploymentId: id() }),
    }),
  } as unknown as CloudFormationDependencies;
  return { ...deps, failNext: (method, error) => failures.set(method, error) };
}

export { memoryContext } from "../../helpers/memory-context.js";

/** Serves a Query handler on loopback so the real SDK client can talk to it. */
export async function serve(
  handler: (
    request: import("../../../src/local/server/http-types.js").LocalRequest,
  ) => Promise<import("../../../src/local/server/http-types.js").LocalResponse>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      handler({
        method: request.method ?? "POST",
        rawPath: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body: Buffer.concat(chunks),
        remoteAddress: "127.0.0.1",
        requestId: randomUUID(),
      })
        .then((reply) => {
          response.writeHead(reply.status, reply.headers);
          response.end(reply.body);
        })
        .catch(() => {
          response.writeHead(500);
          response.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
