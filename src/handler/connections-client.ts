/**
 * PostToConnection, the one call the handler makes, without the AWS SDK's
 * ApiGatewayManagementApiClient: a SigV4 signature from @smithy/signature-v4 (the signer the SDK
 * itself uses) sent over a kept-alive connection by the handler's own HTTP/1.1 client (http1.ts,
 * which says why it is not node:http).
 *
 * Why by hand: the SDK client spends about 2.5 ms of CPU per post in a function worker that sees
 * about 100 posts per burst (so it never gets warm), and it is 130 KB of the handler zip; this path
 * costs a fraction of that (bench/post-back-floor.mjs measures both). What the SDK does that
 * matters here is kept, with the SDK's standard-mode numbers (@smithy/core's util-retry, the
 * version wsq pins):
 * - up to 3 attempts; retried are throttling (HTTP 429 or a throttling error name such as
 *   LimitExceededException), transient errors (500, 502, 503, 504, TimeoutError) and dropped
 *   connections (ECONNRESET, "socket hang up", ECONNREFUSED, EPIPE, ETIMEDOUT, and the DNS and
 *   routing errors); nothing else is (410 GoneException, 413 PayloadTooLargeException, 403 ...);
 * - exponential backoff with full jitter: random * min(base * 2^retry, 20 s), base 50 ms, or 1 s
 *   after throttling;
 * - the retry quota: 500 tokens, a retry costs 14 (5 after throttling), a success gives back what
 *   its retry cost (1 without one), so an outage does not turn into a retry storm;
 * - errors named as the service names them (x-amzn-ErrorType), carrying `$metadata`
 *   (httpStatusCode, requestId, attempts, totalRetryDelay) and `$fault`, as SDK errors do.
 * Beyond the SDK's defaults (which set no timeout for this client), each attempt is bounded
 * (ATTEMPT_TIMEOUT_MS) and ends as a retryable TimeoutError, so that a connection that died
 * silently (a frozen environment's pooled socket) does not hold the post until the function
 * times out. A POST that timed out may still have been delivered, and its retry then delivers the
 * result twice: hence a bound far above what @connections takes (milliseconds on AWS; a local
 * cloud on an overloaded 2-core machine was seen taking over 5 s).
 *
 * The path is sent as the SDK sends it (`/{stage}/@connections/{id}`, the id URI-encoded) and
 * signed the way API Gateway checks it: the signer encodes it once more (`%40connections`,
 * `%253D`), as for every AWS service but S3 (aws-semantics.md, pitfall 8).
 */
import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "../shared/node-sha256.js";
import { Http1Client, type Http1Answer, type Http1Origin } from "./http1.js";

export const MAX_ATTEMPTS = 3;
export const ATTEMPT_TIMEOUT_MS = 10_000;
export const BASE_DELAY_MS = 50;
export const THROTTLING_BASE_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 20_000;
const RETRY_CAPACITY = 500;
const RETRY_COST = 14;
const THROTTLING_RETRY_COST = 5;
const NO_RETRY_INCREMENT = 1;
/** The SDK's keep-alive pool size per client. */
const MAX_SOCKETS = 50;
/**
 * An idle pooled socket is closed after this long, before a server's own keep-alive timeout
 * (Node's default is 5 s) can close it under a request that reuses it.
 */
const IDLE_SOCKET_MS = 4_000;

const THROTTLING_NAMES = new Set([
  "BandwidthLimitExceeded",
  "EC2ThrottledException",
  "LimitExceededException",
  "PriorRequestNotComplete",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "ThrottledException",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "TransactionInProgressException",
]);
const TRANSIENT_NAMES = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
/** The Management API's modelled errors, for an answer that does not name itself. */
const NAME_BY_STATUS: Record<number, string> = {
  403: "ForbiddenException",
  410: "GoneException",
  413: "PayloadTooLargeException",
  429: "LimitExceededException",
};

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ResponseMetadata {
  httpStatusCode?: number;
  requestId?: string;
  attempts: number;
  totalRetryDelay: number;
}

/** A failed PostToConnection, shaped like the SDK's service exceptions (`name`, `$metadata`, `$fault`). */
export class ConnectionsApiError extends Error {
  readonly $fault: "client" | "server";
  readonly $metadata: ResponseMetadata;
  /** The socket error's code (ECONNRESET, ...) when the request never got an answer. */
  readonly code: string | undefined;

  constructor(name: string, message: string, metadata: ResponseMetadata, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = name;
    this.code = options.code;
    this.$metadata = metadata;
    this.$fault = metadata.httpStatusCode !== undefined && metadata.httpStatusCode < 500 ? "client" : "server";
  }
}

/** How the SDK's standard retry mode classifies an error: retried as throttling, as transient, or not at all. */
export function retryKind(error: ConnectionsApiError): "throttling" | "transient" | undefined {
  const status = error.$metadata.httpStatusCode;
  if (status === 429 || THROTTLING_NAMES.has(error.name)) return "throttling";
  if (TRANSIENT_NAMES.has(error.name) || (status !== undefined && TRANSIENT_STATUSES.has(status))) return "transient";
  if (error.code !== undefined && NETWORK_CODES.has(error.code)) return "transient";
  return undefined;
}

/** Full jitter: a random delay below min(base * 2^retry, 20 s); `retry` is 0 before the first retry. */
export function backoffDelay(kind: "throttling" | "transient", retry: number, random: () => number): number {
  const base = kind === "throttling" ? THROTTLING_BASE_DELAY_MS : BASE_DELAY_MS;
  return Math.floor(random() * Math.min(base * 2 ** retry, MAX_DELAY_MS));
}

/** The error a non-2xx answer stands for, named from x-amzn-ErrorType, the body, or the status. */
export function errorFromResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  metadata: ResponseMetadata,
): ConnectionsApiError {
  let parsed: { message?: unknown; Message?: unknown; __type?: unknown; code?: unknown } = {};
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value === "object" && value !== null) parsed = value;
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): named from the status alone.
  }
  // "GoneException:http://internal.amazon.com/..." in the header; "namespace#GoneException" in a body.
  const header = headers["x-amzn-errortype"];
  const fromHeader = typeof header === "string" ? header.split(":")[0] : undefined;
  const fromBody = typeof parsed.__type === "string" ? parsed.__type.split("#").pop() : typeof parsed.code === "string" ? parsed.code : undefined;
  const name = fromHeader || fromBody || NAME_BY_STATUS[status] || "UnknownError";
  const text = typeof parsed.message === "string" ? parsed.message : typeof parsed.Message === "string" ? parsed.Message : undefined;
  return new ConnectionsApiError(name, text ?? `${name} (HTTP ${status})`, metadata);
}

/** Spends retry tokens as the SDK's standard mode does. */
class RetryQuota {
  private capacity = RETRY_CAPACITY;

  /** Takes the cost of one retry; undefined when the quota is spent (no retry). */
  take(kind: "throttling" | "transient"): number | undefined {
    const cost = kind === "throttling" ? THROTTLING_RETRY_COST : RETRY_COST;
    if (this.capacity < cost) return undefined;
    this.capacity -= cost;
    return cost;
  }

  succeeded(lastRetryCost: number | undefined): void {
    this.capacity = Math.min(RETRY_CAPACITY, this.capacity + (lastRetryCost ?? NO_RETRY_INCREMENT));
  }
}

export interface ConnectionsClientOptions {
  /** The stage's @connections endpoint: `https://{api}.execute-api.{region}.amazonaws.com/{stage}`, or the local cloud's. */
  endpoint: string;
  region: string;
  credentials: Credentials;
  maxAttempts?: number;
  attemptTimeoutMs?: number;
  /** Injected in tests: jitter, the wait between attempts, the signing clock. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** Told of each failed attempt that will be retried (the handler logs it): retries are silent otherwise. */
  onRetry?: (error: ConnectionsApiError, delayMs: number) => void;
  /** Extra TLS options for an https endpoint (tests: the CA of a local server). */
  tls?: Http1Origin["tls"];
}

export class ConnectionsClient {
  private readonly url: URL;
  private readonly basePath: string;
  private readonly signer: SignatureV4;
  private readonly http: Http1Client;
  private readonly quota = new RetryQuota();
  private readonly maxAttempts: number;
  private readonly attemptTimeoutMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onRetry: ((error: ConnectionsApiError, delayMs: number) => void) | undefined;
  private readonly now: () => Date;

  constructor(options: ConnectionsClientOptions) {
    this.url = new URL(options.endpoint);
    if (this.url.protocol !== "https:" && this.url.protocol !== "http:")
      throw new Error(`The @connections endpoint ${options.endpoint} is not an http(s) URL.`);
    this.basePath = this.url.pathname.replace(/\/+$/, "");
    const https = this.url.protocol === "https:";
    this.http = new Http1Client(
      {
        protocol: https ? "https:" : "http:",
        hostname: this.url.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: this.url.port !== "" ? Number(this.url.port) : https ? 443 : 80,
        ...(options.tls !== undefined ? { tls: options.tls } : {}),
      },
      { maxSockets: MAX_SOCKETS, idleMs: IDLE_SOCKET_MS },
    );
    this.signer = new SignatureV4({ credentials: options.credentials, region: options.region, service: "execute-api", sha256: NodeSha256 });
    this.maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.onRetry = options.onRetry;
    this.now = options.now ?? (() => new Date());
  }

  /** POST /{stage}/@connections/{connectionId} with `data` as the frame; rejects with a ConnectionsApiError. */
  async postToConnection(connectionId: string, data: string | Uint8Array): Promise<void> {
    const body = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const path = `${this.basePath}/@connections/${encodeLabel(connectionId)}`;
    let attempts = 0;
    let totalRetryDelay = 0;
    let lastRetryCost: number | undefined;
    for (;;) {
      attempts += 1;
      let error: ConnectionsApiError;
      try {
        const answer = await this.attempt(path, body);
        if (answer.status >= 200 && answer.status < 300) {
          this.quota.succeeded(lastRetryCost);
          return;
        }
        const requestId = answer.headers["x-amzn-requestid"];
        error = errorFromResponse(answer.status, answer.headers, answer.body.toString("utf8"), {
          httpStatusCode: answer.status,
          ...(typeof requestId === "string" ? { requestId } : {}),
          attempts,
          totalRetryDelay,
        });
      } catch (cause) {
        error = networkError(cause, { attempts, totalRetryDelay });
      }
      const kind = retryKind(error);
      const cost = kind !== undefined && attempts < this.maxAttempts ? this.quota.take(kind) : undefined;
      if (kind === undefined || cost === undefined) throw error;
      lastRetryCost = cost;
      const delay = backoffDelay(kind, attempts - 1, this.random);
      totalRetryDelay += delay;
      this.onRetry?.(error, delay);
      await this.sleep(delay);
    }
  }

  /** Closes the pooled sockets. */
  destroy(): void {
    this.http.destroy();
  }

  private async attempt(path: string, body: Uint8Array): Promise<Http1Answer> {
    const signed = await this.signer.sign(
      {
        method: "POST",
        protocol: this.url.protocol,
        hostname: this.url.hostname,
        path,
        query: {},
        headers: { host: this.url.host, "content-type": "application/octet-stream", "content-length": String(body.byteLength) },
        body,
      },
      { signingDate: this.now() },
    );
    return this.http.request("POST", path, signed.headers, body, this.attemptTimeoutMs);
  }
}

/** The SDK's label encoding: encodeURIComponent plus the characters it leaves alone but RFC 3986 reserves. */
function encodeLabel(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function networkError(cause: unknown, metadata: ResponseMetadata): ConnectionsApiError {
  const error = cause as { name?: string; code?: string; message?: string } | undefined;
  const code = typeof error?.code === "string" ? error.code : undefined;
  const name = error?.name === "TimeoutError" ? "TimeoutError" : (code ?? error?.name ?? "Error");
  return new ConnectionsApiError(name, error?.message ?? String(cause), metadata, { ...(code !== undefined ? { code } : {}), cause });
}

/**
 * The client as a Lambda environment configures it: the endpoint from WSQ_CONNECTIONS_URL, the
 * function's credentials (including the session token Lambda's execution role gives) and region.
 */
export function connectionsClientFromEnvironment(
  endpoint: string,
  env: NodeJS.ProcessEnv,
  onRetry?: (error: ConnectionsApiError, delayMs: number) => void,
): ConnectionsClient {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; Lambda sets them from the function's role.");
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("AWS_REGION is not set; Lambda sets it to the function's region.");
  const sessionToken = env.AWS_SESSION_TOKEN;
  return new ConnectionsClient({
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
    ...(onRetry ? { onRetry } : {}),
  });
}
