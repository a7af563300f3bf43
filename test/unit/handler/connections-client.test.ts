import { ApiGatewayManagementApiClient, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  backoffDelay,
  ConnectionsApiError,
  ConnectionsClient,
  connectionsClientFromEnvironment,
  retryKind,
  type ConnectionsClientOptions,
} from "../../../src/handler/connections-client.js";
import { isGoneError, isPayloadTooLargeError } from "../../../src/handler/process-batch.js";
import { verifySignature } from "../../../src/local/server/sigv4-verify.js";
import type { LocalRequest } from "../../../src/local/server/http-types.js";

// The handler's own PostToConnection against a loopback node:http server that answers as
// API Gateway's Management API does (or fails as networks do), checked with the local cloud's
// SigV4 verifier and side by side with the AWS SDK's client.

const CREDENTIALS = { accessKeyId: "AKIDLEAN", secretAccessKey: "lean-secret" };

interface Seen {
  request: LocalRequest;
  socket: number;
}

type Answer = (request: IncomingMessage, response: ServerResponse, index: number) => void;

/** A server that buffers each request, records it (as the local cloud's adapters see requests), then answers with `answer`. */
async function managementApi(answer: Answer = (_q, response) => response.writeHead(200).end()) {
  const seen: Seen[] = [];
  const sockets = new Map<object, number>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (!sockets.has(request.socket)) sockets.set(request.socket, sockets.size);
      const url = new URL(request.url ?? "/", "http://localhost");
      seen.push({
        request: {
          method: request.method ?? "",
          rawPath: url.pathname,
          query: url.searchParams,
          headers: request.headers,
          body: Buffer.concat(chunks),
          remoteAddress: "127.0.0.1",
          requestId: String(seen.length),
        },
        socket: sockets.get(request.socket) ?? -1,
      });
      answer(request, response, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/production`, seen };
}

function client(endpoint: string, options: Partial<ConnectionsClientOptions> = {}) {
  const delays: number[] = [];
  const instance = new ConnectionsClient({
    endpoint,
    region: "eu-west-1",
    credentials: CREDENTIALS,
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...options,
  });
  onTestFinished(() => instance.destroy());
  return { instance, delays };
}

/** An API Gateway error answer, as the Management API shapes them. */
function fail(status: number, name?: string): Answer {
  return (_request, response) =>
    response
      .writeHead(status, {
        "content-type": "application/json",
        ...(name ? { "x-amzn-errortype": `${name}:http://internal.amazon.com/coral/com.amazon.apigateway/` } : {}),
      })
      .end(JSON.stringify({ message: `${name ?? "error"} message` }));
}

async function rejection(promise: Promise<unknown>): Promise<ConnectionsApiError> {
  try {
    await promise;
  } catch (error) {
    return error as ConnectionsApiError;
  }
  throw new Error("expected a rejection");
}

describe("ConnectionsClient: the request", () => {
  it("posts the data to /{stage}/@connections/{id}, signed so that the local cloud's SigV4 check accepts it", async () => {
    const api = await managementApi();
    const { instance } = client(api.endpoint);
    await instance.postToConnection("L0SM9cOFvHcCIhw=", '{"type":"result","data":"é"}');
    expect(api.seen).toHaveLength(1);
    const { request } = api.seen[0]!;
    expect(request.method).toBe("POST");
    // As the SDK sends it: "@" as is, the id encoded; the signer encodes the path once more.
    expect(request.rawPath).toBe("/production/@connections/L0SM9cOFvHcCIhw%3D");
    expect(request.body.toString("utf8")).toBe('{"type":"result","data":"é"}');
    expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLEAN\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=/);
    expect(await verifySignature(request, CREDENTIALS)).toBeUndefined();
    expect(await verifySignature(request, { ...CREDENTIALS, secretAccessKey: "another" })).toMatchObject({ code: "SignatureDoesNotMatch" });
  });

  it("signs the same canonical request as the AWS SDK's client: both verify, for the same path and body", async () => {
    const api = await managementApi();
    const { instance } = client(api.endpoint);
    const sdk = new ApiGatewayManagementApiClient({ endpoint: api.endpoint, region: "eu-west-1", credentials: CREDENTIALS });
    onTestFinished(() => sdk.destroy());
    const id = "a+b/c=(d)*!'";
    await instance.postToConnection(id, "same");
    await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: new TextEncoder().encode("same") }));
    const [lean, viaSdk] = api.seen.map((s) => s.request) as [LocalRequest, LocalRequest];
    expect(lean.rawPath).toBe(viaSdk.rawPath);
    expect(lean.body.equals(viaSdk.body)).toBe(true);
    expect(await verifySignature(lean, CREDENTIALS)).toBeUndefined();
    expect(await verifySignature(viaSdk, CREDENTIALS)).toBeUndefined();
  });

  it("signs with the session token of a role's credentials", async () => {
    const api = await managementApi();
    const { instance } = client(api.endpoint, { credentials: { ...CREDENTIALS, sessionToken: "the-session-token" } });
    await instance.postToConnection("abc=", "x");
    const { request } = api.seen[0]!;
    expect(request.headers["x-amz-security-token"]).toBe("the-session-token");
    expect(request.headers.authorization).toContain("x-amz-security-token");
    expect(await verifySignature(request, CREDENTIALS)).toBeUndefined();
  });

  it("keeps the connection alive between posts", async () => {
    const api = await managementApi();
    const { instance } = client(api.endpoint);
    for (let i = 0; i < 5; i++) await instance.postToConnection("abc=", `post ${i}`);
    expect(api.seen.map((s) => s.socket)).toEqual([0, 0, 0, 0, 0]);
  });

  it("is configured from the Lambda environment, and says what is missing", () => {
    expect(() => connectionsClientFromEnvironment("http://127.0.0.1:1/x", { AWS_REGION: "us-east-1" })).toThrow(/AWS_ACCESS_KEY_ID/);
    expect(() => connectionsClientFromEnvironment("http://127.0.0.1:1/x", { AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" })).toThrow(/AWS_REGION/);
    expect(() => connectionsClientFromEnvironment("ws://127.0.0.1:1/x", { AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", AWS_REGION: "x" })).toThrow(
      /not an http\(s\) URL/,
    );
    const made = connectionsClientFromEnvironment("https://abc.execute-api.us-east-1.amazonaws.com/prod", {
      AWS_ACCESS_KEY_ID: "a",
      AWS_SECRET_ACCESS_KEY: "b",
      AWS_SESSION_TOKEN: "t",
      AWS_REGION: "us-east-1",
    });
    expect(made).toBeInstanceOf(ConnectionsClient);
    made.destroy();
  });
});

describe("ConnectionsClient: errors and retries (the SDK's standard mode)", () => {
  it("does not retry 410 GoneException; the handler recognises it as gone", async () => {
    const api = await managementApi(fail(410, "GoneException"));
    const { instance, delays } = client(api.endpoint);
    const error = await rejection(instance.postToConnection("gone=", "x"));
    expect(error).toMatchObject({ name: "GoneException", $fault: "client", $metadata: { httpStatusCode: 410, attempts: 1 } });
    expect(isGoneError(error)).toBe(true);
    expect(api.seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it("does not retry 413 PayloadTooLargeException; the handler recognises it", async () => {
    const api = await managementApi(fail(413, "PayloadTooLargeException"));
    const { instance } = client(api.endpoint);
    const error = await rejection(instance.postToConnection("big=", "x"));
    expect(error).toMatchObject({ name: "PayloadTooLargeException", message: "PayloadTooLargeException message", $metadata: { httpStatusCode: 413 } });
    expect(isPayloadTooLargeError(error)).toBe(true);
    expect(isGoneError(error)).toBe(false);
    expect(api.seen).toHaveLength(1);
  });

  it("names an error from its status when the answer does not name it", async () => {
    const api = await managementApi((_q, response) => response.writeHead(410).end());
    const { instance } = client(api.endpoint);
    expect(await rejection(instance.postToConnection("gone=", "x"))).toMatchObject({ name: "GoneException", $metadata: { httpStatusCode: 410 } });
  });

  it("does not retry 403 ForbiddenException", async () => {
    const api = await managementApi(fail(403, "ForbiddenException"));
    const { instance } = client(api.endpoint);
    expect(await rejection(instance.postToConnection("x=", "x"))).toMatchObject({ name: "ForbiddenException", $metadata: { attempts: 1 } });
    expect(api.seen).toHaveLength(1);
  });

  it("retries 429 LimitExceededException with the throttling backoff, three attempts in all", async () => {
    const api = await managementApi(fail(429, "LimitExceededException"));
    const { instance, delays } = client(api.endpoint);
    const error = await rejection(instance.postToConnection("busy=", "x"));
    expect(error).toMatchObject({ name: "LimitExceededException", $metadata: { httpStatusCode: 429, attempts: 3, totalRetryDelay: 1500 } });
    expect(api.seen).toHaveLength(3);
    // random() = 0.5: half of 1 s, then half of 2 s.
    expect(delays).toEqual([500, 1000]);
  });

  it("retries a 500 and succeeds on the next attempt", async () => {
    const api = await managementApi((request, response, index) =>
      index === 0 ? fail(500, "InternalServerErrorException")(request, response, index) : response.writeHead(200).end(),
    );
    const retried: string[] = [];
    const { instance, delays } = client(api.endpoint, { onRetry: (error, delayMs) => retried.push(`${error.name} ${error.$metadata.attempts} ${delayMs}`) });
    await instance.postToConnection("ok=", "x");
    expect(api.seen).toHaveLength(2);
    expect(delays).toEqual([25]);
    expect(retried).toEqual(["InternalServerErrorException 1 25"]);
    expect(api.seen[1]!.request.body.toString()).toBe("x");
  });

  it("retries when the server closes the socket without answering (socket hang up)", async () => {
    const api = await managementApi((request, response, index) => (index < 2 ? request.socket.destroy() : response.writeHead(200).end()));
    const { instance, delays } = client(api.endpoint);
    await instance.postToConnection("ok=", "x");
    expect(api.seen).toHaveLength(3);
    expect(delays).toEqual([25, 50]);
  });

  it("gives up after three dropped connections with the socket error, as the SDK reports it", async () => {
    const api = await managementApi((request) => request.socket.destroy());
    const { instance } = client(api.endpoint);
    const error = await rejection(instance.postToConnection("x=", "x"));
    expect(error).toMatchObject({ name: "ECONNRESET", code: "ECONNRESET", $fault: "server", $metadata: { attempts: 3 } });
    expect(error.$metadata.httpStatusCode).toBeUndefined();
    expect(api.seen).toHaveLength(3);
  });

  it("bounds each attempt: a server that never answers ends in a TimeoutError after three attempts", async () => {
    const api = await managementApi(() => undefined);
    const { instance } = client(api.endpoint, { attemptTimeoutMs: 50 });
    const error = await rejection(instance.postToConnection("x=", "x"));
    expect(error).toMatchObject({ name: "TimeoutError", $metadata: { attempts: 3 } });
    expect(api.seen).toHaveLength(3);
  });

  it("stops retrying once the retry quota is spent, and earns it back with successes", async () => {
    let failing = true;
    const api = await managementApi((request, response, index) => (failing ? fail(503)(request, response, index) : response.writeHead(200).end()));
    const { instance } = client(api.endpoint);
    for (let i = 0; i < 30; i++) await rejection(instance.postToConnection("x=", "x"));
    // 500 tokens at 14 per retry: 35 retries, whatever the number of posts.
    expect(api.seen).toHaveLength(30 + 35);
    failing = false;
    await instance.postToConnection("x=", "x");
    expect(api.seen).toHaveLength(66);
  });
});

describe("the SDK's retry rules", () => {
  const error = (name: string, status?: number, code?: string) =>
    new ConnectionsApiError(name, "m", { ...(status !== undefined ? { httpStatusCode: status } : {}), attempts: 1, totalRetryDelay: 0 }, code ? { code } : {});

  it("classifies errors as the standard mode does", () => {
    expect(retryKind(error("LimitExceededException", 429))).toBe("throttling");
    expect(retryKind(error("Anything", 429))).toBe("throttling");
    expect(retryKind(error("ThrottlingException", 400))).toBe("throttling");
    for (const status of [500, 502, 503, 504]) expect(retryKind(error("UnknownError", status))).toBe("transient");
    expect(retryKind(error("TimeoutError"))).toBe("transient");
    for (const code of ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND"]) expect(retryKind(error(code, undefined, code))).toBe("transient");
    for (const [name, status] of [
      ["GoneException", 410],
      ["PayloadTooLargeException", 413],
      ["ForbiddenException", 403],
      ["UnknownError", 501],
    ] as const)
      expect(retryKind(error(name, status))).toBeUndefined();
  });

  it("backs off exponentially with full jitter, capped at 20 s", () => {
    expect(backoffDelay("transient", 0, () => 0.999)).toBe(49);
    expect(backoffDelay("transient", 3, () => 1)).toBe(400);
    expect(backoffDelay("throttling", 1, () => 0.25)).toBe(500);
    expect(backoffDelay("throttling", 10, () => 1)).toBe(20_000);
    expect(backoffDelay("transient", 2, () => 0)).toBe(0);
  });
});
