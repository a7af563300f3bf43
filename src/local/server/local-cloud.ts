import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdirSync, accessSync, constants as fsConstants, chmodSync } from "node:fs";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type Database from "better-sqlite3";
import { WsqError } from "../../shared/errors.js";
import { systemClock, type Clock, type LocalContext, type LocalLogger } from "../context.js";
import type { LocalRequest, LocalResponse } from "./http-types.js";
import { routeRequest, type RequestGate, type RouteTable } from "./router.js";
import { signatureErrorResponse, verifySignature } from "./sigv4-verify.js";
import { LOCAL_CREDENTIALS } from "../../shared/target.js";
import { openDatabase } from "./database.js";
import { silentLogger } from "./logger.js";
import { createS3Plugin } from "../s3/index.js";
import { createSqsPlugin } from "../sqs/index.js";
import { createLogsPlugin } from "../logs/index.js";
import { createLambdaPlugin } from "../lambda/index.js";
import { createApiGatewayPlugin } from "../apigateway/index.js";
import { createCloudFormationPlugin } from "../cloudformation/index.js";
import type { ApiGatewayPlugin, CloudFormationPlugin, LambdaPlugin, LogsPlugin, S3Plugin, SqsPlugin } from "../contracts.js";
import { VERSION } from "../../shared/version.js";
import type { TestFaults } from "./test-faults.js";
import { DEFAULT_PORT, DEFAULT_REGION } from "../../shared/defaults.js";
import { settledWithin } from "../../shared/delay.js";

export const LOCAL_ACCOUNT_ID = "000000000000";
/** Request bodies above this are refused with 413 before they are buffered. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** How long a graceful stop waits for requests being served before it closes the services. */
const IN_FLIGHT_GRACE_MS = 5_000;

export interface LocalCloudOptions {
  dataDir: string;
  /** 0 picks a free port (tests). */
  port?: number;
  /** 127.0.0.1 unless the user explicitly asks for another interface. */
  host?: string;
  region?: string;
  clock?: Clock;
  log?: LocalLogger;
  /**
   * Verify the SigV4 signature of every AWS API request against the local credentials
   * (wsqlocal / wsqlocalsecret), as AWS would. Off by default: any credentials work.
   */
  verifySignatures?: boolean;
  /**
   * Enforce AWS's SQS FIFO throughput quotas (300 transactions per second per API action; per
   * message group in high-throughput mode), as AWS does: true unless explicitly false
   * (`wsq local start --no-quotas`, for loading your own code beyond AWS's limits).
   */
  quotas?: boolean;
  /**
   * Integrate each WebSocket connection's frames strictly in arrival order (`wsq local start
   * --ordered-frames`). By default frames that arrive together may reach their integration in any
   * order, as on AWS, which documents no ordering before the integration (docs/apigateway.md).
   */
  orderedFrames?: boolean;
  /**
   * Test hook: faults to inject (test-faults.ts), read as they are needed, so a test may change the
   * counts while the local cloud runs. Never set by a request, only by whoever starts the local cloud.
   */
  testFaults?: TestFaults;
}

export interface LocalCloudServices {
  s3: S3Plugin;
  sqs: SqsPlugin;
  logs: LogsPlugin;
  lambda: LambdaPlugin;
  apigateway: ApiGatewayPlugin;
  cloudformation: CloudFormationPlugin;
}

export interface LocalCloud {
  /** `http://127.0.0.1:PORT`: the endpoint for every AWS client (`--endpoint-url`). */
  url: string;
  port: number;
  host: string;
  region: string;
  accountId: string;
  dataDir: string;
  /** Whether the SQS FIFO throughput quotas are enforced. */
  quotas: boolean;
  /** Whether each connection's frames are integrated strictly in arrival order. */
  orderedFrames: boolean;
  services: LocalCloudServices;
  /** Graceful: stops accepting, lets in-flight requests and writes finish, then closes the database. */
  stop(): Promise<void>;
}

function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    accessSync(dataDir, fsConstants.W_OK | fsConstants.R_OK);
  } catch (error) {
    throw new WsqError("DATA_DIR_UNUSABLE", `The data directory ${dataDir} cannot be used: ${(error as Error).message}`, {
      hint: "Pass a writable directory with --data-dir, or set WSQ_HOME to one.",
      cause: error,
    });
  }
}

function readBody(request: IncomingMessage): Promise<Buffer | "too-large"> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      resolve("too-large");
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on("end", () => resolve(tooLarge ? "too-large" : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function toLocalRequest(request: IncomingMessage, body: Buffer): LocalRequest {
  const rawUrl = request.url ?? "/";
  const queryIndex = rawUrl.indexOf("?");
  return {
    method: request.method ?? "GET",
    rawPath: queryIndex === -1 ? rawUrl : rawUrl.slice(0, queryIndex),
    query: new URLSearchParams(queryIndex === -1 ? "" : rawUrl.slice(queryIndex + 1)),
    headers: request.headers,
    body,
    remoteAddress: request.socket.remoteAddress ?? "127.0.0.1",
    requestId: randomUUID(),
  };
}

function send(response: ServerResponse, reply: LocalResponse): void {
  const body = reply.body === undefined ? undefined : typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body;
  const headers: Record<string, string | number> = { ...reply.headers };
  // Every answer that may have a body says how long it is, an empty one too (an @connections post's
  // 200): without it node:http would frame the empty body as chunked.
  const mayHaveBody = reply.status !== 204 && reply.status !== 304;
  if (mayHaveBody && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length")) headers["content-length"] = body?.length ?? 0;
  response.writeHead(reply.status, headers);
  response.end(body);
}

/**
 * Starts the embedded local cloud: one HTTP server on loopback that serves every service.
 * Start order follows the service dependencies; stop runs in reverse.
 */
export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const host = options.host ?? "127.0.0.1";
  const region = options.region ?? DEFAULT_REGION;
  const log = options.log ?? silentLogger;
  prepareDataDir(options.dataDir);
  // 1. Storage first: a damaged database must stop start-up before anything listens.
  const db: Database.Database = openDatabase(options.dataDir);

  // Known only once the server listens; services read it lazily through ctx.baseUrl(), or wait
  // for it with ctx.listening.
  const listening: { url?: string } = {};
  let markListening: (url: string) => void = () => {};
  let failListening: (error: unknown) => void = () => {};
  const whenListening = new Promise<string>((resolve, reject) => {
    markListening = resolve;
    failListening = reject;
  });
  // A start-up that fails rejects it whether or not a service waits for it.
  whenListening.catch(() => undefined);
  const context = (scope: string): LocalContext => ({
    region,
    accountId: LOCAL_ACCOUNT_ID,
    dataDir: options.dataDir,
    db,
    clock: options.clock ?? systemClock,
    log: log.child(scope),
    baseUrl: () => {
      if (listening.url === undefined) throw new Error("baseUrl() called before the local cloud listens");
      return listening.url;
    },
    listening: whenListening,
  });

  // 2. Services, each after the ones it calls.
  const s3 = createS3Plugin(context("s3"));
  const quotas = options.quotas !== false;
  const sqs = createSqsPlugin(context("sqs"), { quotas });
  const logs = createLogsPlugin(context("logs"));
  const lambda = createLambdaPlugin(context("lambda"), {
    sqs: sqs.api,
    s3: s3.api,
    logs: logs.api,
    // The very object: a test may raise a count while the local cloud runs.
    ...(options.testFaults ? { faults: options.testFaults } : {}),
  });
  if (options.testFaults !== undefined) log.log("warn", "test fault hooks are set", { ...options.testFaults });
  const orderedFrames = options.orderedFrames === true;
  const apigateway = createApiGatewayPlugin(context("apigateway"), { sqs, lambda: lambda.api }, { orderedFrames });
  const cloudformation = createCloudFormationPlugin(context("cfn"), {
    s3: s3.api,
    sqs: sqs.api,
    logs: logs.api,
    lambda: lambda.api,
    apigateway: apigateway.api,
  });
  const services: LocalCloudServices = { s3, sqs, logs, lambda, apigateway, cloudformation };
  const shutdownOrder: { name: string; close: () => Promise<void> }[] = [
    { name: "cloudformation", close: () => cloudformation.close() },
    { name: "apigateway", close: () => apigateway.close() },
    { name: "lambda", close: () => lambda.close() },
    { name: "logs", close: () => logs.close() },
    { name: "sqs", close: () => sqs.close() },
    { name: "s3", close: () => s3.close() },
  ];

  const startedAt = new Date().toISOString();
  const routes: RouteTable = {
    sqsJson: sqs.json,
    sqsQuery: sqs.query,
    logsJson: logs.json,
    cloudFormationQuery: cloudformation.query,
    s3: s3.http,
    lambda: lambda.http,
    executeApi: apigateway.http,
    internal: async (request) => {
      if (request.rawPath === "/_wsq/health") {
        return {
          status: 200,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            service: "wsq-local",
            version: VERSION,
            pid: process.pid,
            url: listening.url,
            region,
            dataDir: options.dataDir,
            startedAt,
            quotas,
            orderedFrames,
          }),
        };
      }
      return { status: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "Not found" }) };
    },
  };

  const gate: RequestGate | undefined = options.verifySignatures
    ? async (request, protocol) => {
        const problem = await verifySignature(request, LOCAL_CREDENTIALS);
        if (problem === undefined) return undefined;
        log.log("warn", "refused a request whose signature did not verify", { requestId: request.requestId, code: problem.code });
        return signatureErrorResponse(problem, protocol, request.requestId);
      }
    : undefined;

  /** Requests being served, so that a graceful stop lets them finish before the services close. */
  const inFlight = new Set<Promise<void>>();

  // 3. The server last, once every service can answer.
  const server: Server = createServer({ maxHeaderSize: 64 * 1024 }, (request, response) => {
    const serving = readBody(request)
      .then(async (body) => {
        if (body === "too-large") {
          send(response, { status: 413, headers: { "content-type": "text/plain" }, body: "Request body too large" });
          return;
        }
        const localRequest = toLocalRequest(request, body);
        const reply = await routeRequest(localRequest, routes, gate);
        send(response, reply);
      })
      .catch((error: unknown) => {
        log.log("error", "unhandled error while serving a request", { url: request.url, error: (error as Error).stack ?? String(error) });
        if (!response.headersSent) send(response, { status: 500, headers: { "content-type": "text/plain" }, body: "Internal error" });
        else response.destroy();
      })
      .finally(() => inFlight.delete(serving));
    inFlight.add(serving);
  });
  server.keepAliveTimeout = 65_000;
  server.on("upgrade", (request: IncomingMessage, socket, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    if (!apigateway.handleUpgrade(request, socket, head)) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    }
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? DEFAULT_PORT, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    failListening(error);
    for (const step of shutdownOrder) await step.close().catch(() => undefined);
    db.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new WsqError("PORT_IN_USE", `Port ${options.port ?? DEFAULT_PORT} on ${host} is already in use.`, {
        hint: "Stop what is using it, or start the local cloud on another port with --port (0 picks a free one).",
        cause: error,
      });
    }
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const baseUrl = `http://${urlHost}:${port}`;
  listening.url = baseUrl;
  markListening(baseUrl);
  log.log("info", "local cloud listening", { url: baseUrl, dataDir: options.dataDir, region, quotas, orderedFrames });
  if (!quotas) log.log("warn", "SQS FIFO throughput quotas are off (--no-quotas): this local cloud accepts load that AWS would throttle");

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.log("info", "stopping local cloud");
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests already being served finish first (a long poll may hold on, hence the bound):
      // closing the services under them would fail acknowledged work half-way.
      if (inFlight.size > 0) await settledWithin(Promise.allSettled([...inFlight]), IN_FLIGHT_GRACE_MS);
      for (const step of shutdownOrder) {
        try {
          await step.close();
        } catch (error) {
          log.log("error", `error while stopping ${step.name}`, { error: String(error) });
        }
      }
      server.closeAllConnections();
      await closed;
      db.close();
      log.log("info", "local cloud stopped");
    })();
    return stopping;
  };

  return { url: baseUrl, port, host, region, accountId: LOCAL_ACCOUNT_ID, dataDir: options.dataDir, quotas, orderedFrames, services, stop };
}
