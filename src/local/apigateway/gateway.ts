/**
 * The WebSocket data plane: upgrades on stage URLs, $connect during the upgrade, route selection
 * and integrations per frame, $disconnect after close, the quotas API Gateway enforces, and the
 * connection table the @connections API posts through.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-overview.html
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import type { LocalContext, LocalLogger } from "../context.js";
import { EXECUTE_API_PATH_PREFIX } from "../contracts.js";
import type { ApiGatewayControlPlane, ServedStage } from "./control-plane.js";
import { managementErrors } from "./errors.js";
import { FrameSizeGuard } from "./frame-guard.js";
import { connectionStyleId } from "./ids.js";
import { runIntegration, routeResponseText, type IntegrationDependencies } from "./integrations.js";
import { BACKPRESSURE, WEBSOCKET_LIMITS } from "./limits.js";
import { evaluateSelectionExpression } from "./mapping/index.js";
import type { RouteRecord } from "./model.js";
import { TokenBucket } from "./throttle.js";
import { settledWithin } from "../../shared/delay.js";

export interface GatewayOptions {
  idleTimeoutMs?: number;
  maxConnectionMs?: number;
  /** New connections per second (and burst) across the account; AWS's default is 500. */
  newConnectionsPerSecond?: number;
  newConnectionsBurst?: number;
  /**
   * Integrate each connection's frames strictly in arrival order (`wsq local start
   * --ordered-frames`), instead of letting frames that arrive together reach their integration in
   * any order, as nothing in AWS's documentation rules out (see dispatchArrived).
   */
  orderedFrames?: boolean;
  /** The random source that orders frames arriving together; injectable so tests can fix it. */
  random?: () => number;
}

interface ArrivedFrame {
  body: string;
  receivedAt: number;
}

interface Connection {
  id: string;
  apiId: string;
  stageName: string;
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  domainName: string;
  /** Frames received in the current turn of the event loop, not yet handed to their integration. */
  arrived: ArrivedFrame[];
  /** Frames waiting for one of the connection's MAX_IN_FLIGHT integration slots, in the order they will start. */
  pending: ArrivedFrame[];
  inFlight: number;
  paused: boolean;
  /** Set once a frame over the frame limit arrived: nothing more from this client is integrated. */
  refused: boolean;
  idleTimer: NodeJS.Timeout;
  lifeTimer: NodeJS.Timeout;
}

/** GetConnection's body: REST-JSON member names (connectedAt, identity.sourceIp, …). */
export interface ConnectionInfo {
  connectedAt: string;
  lastActiveAt: string;
  identity: { sourceIp: string; userAgent: string };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** requestContext.requestTime in Common Log Format, as API Gateway writes it. */
function commonLogTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  const reason =
    status === 403
      ? "Forbidden"
      : status === 429
        ? "Too Many Requests"
        : status === 401
          ? "Unauthorized"
          : status >= 500
            ? "Internal Server Error"
            : "Bad Request";
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  } else {
    socket.destroy();
  }
}

function flatHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  return headers;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
/** On stop, how long clients get to answer the close handshake before their sockets are cut. */
const CLOSE_HANDSHAKE_GRACE_MS = 2_000;

export class WebSocketGateway {
  private readonly connections = new Map<string, Connection>();
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: WEBSOCKET_LIMITS.maxMessageBytes, perMessageDeflate: false });
  private newConnections: TokenBucket;
  private readonly account: TokenBucket;
  private readonly stageBuckets = new Map<string, { key: string; bucket: TokenBucket }>();
  private readonly log: LocalLogger;
  private idleTimeoutMs: number;
  private maxConnectionMs: number;
  private orderedFrames: boolean;
  private random: () => number;
  private closing = false;
  /** Frames started in this event-loop turn, across connections (BACKPRESSURE.maxFramesPerTurn). */
  private framesThisTurn = 0;
  private nextTurn: NodeJS.Immediate | undefined;
  /** Connections whose frames wait for the next turn's budget, in the order they were held. */
  private readonly heldForNextTurn = new Set<Connection>();

  constructor(
    private readonly ctx: LocalContext,
    private readonly control: ApiGatewayControlPlane,
    private readonly deps: IntegrationDependencies,
    options: GatewayOptions = {},
  ) {
    this.log = ctx.log.child("apigateway");
    const now = () => ctx.clock.now();
    this.newConnections = new TokenBucket(
      options.newConnectionsPerSecond ?? WEBSOCKET_LIMITS.newConnectionsPerSecond,
      options.newConnectionsBurst ?? options.newConnectionsPerSecond ?? WEBSOCKET_LIMITS.newConnectionsPerSecond,
      now,
    );
    this.account = new TokenBucket(WEBSOCKET_LIMITS.accountRatePerSecond, WEBSOCKET_LIMITS.accountBurst, now);
    this.idleTimeoutMs = options.idleTimeoutMs ?? WEBSOCKET_LIMITS.idleTimeoutMs;
    this.maxConnectionMs = options.maxConnectionMs ?? WEBSOCKET_LIMITS.maxConnectionMs;
    this.orderedFrames = options.orderedFrames === true;
    this.random = options.random ?? Math.random;
    control.onRemoved = (apiId, stageName) =>
      this.closeWhere((c) => c.apiId === apiId && (stageName === undefined || c.stageName === stageName), 1001, "Going away");
  }

  /**
   * Lowers (or restores) the idle timeout and connection lifetime for connections made from now
   * on, and the new-connection rate, so tests of those quotas need not wait 10 minutes or 2 hours
   * or open 500 connections; switches the frame ordering mode or its random source. local-cloud.ts
   * builds the gateway with only `orderedFrames`; this is how a running cloud's settings are changed.
   */
  configure(options: GatewayOptions): void {
    this.idleTimeoutMs = options.idleTimeoutMs ?? this.idleTimeoutMs;
    this.maxConnectionMs = options.maxConnectionMs ?? this.maxConnectionMs;
    this.orderedFrames = options.orderedFrames ?? this.orderedFrames;
    this.random = options.random ?? this.random;
    if (options.newConnectionsPerSecond !== undefined || options.newConnectionsBurst !== undefined) {
      const rate = options.newConnectionsPerSecond ?? WEBSOCKET_LIMITS.newConnectionsPerSecond;
      this.newConnections = new TokenBucket(rate, options.newConnectionsBurst ?? rate, () => this.ctx.clock.now());
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Whether each connection's frames are integrated strictly in arrival order (`--ordered-frames`). */
  get framesOrdered(): boolean {
    return this.orderedFrames;
  }

  // ------------------------------------------------------------------ connecting
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith(EXECUTE_API_PATH_PREFIX)) return false;
    const [apiId = "", stageName = "", ...rest] = url.pathname.slice(EXECUTE_API_PATH_PREFIX.length).split("/");
    if (!this.control.hasApi(apiId)) return false;
    if (this.closing) {
      rejectUpgrade(socket, 503, "Service Unavailable");
      return true;
    }
    const served = this.control.servedStage(apiId, decodeURIComponent(stageName));
    if (served === undefined || rest.some((part) => part !== "")) {
      rejectUpgrade(socket, 403, "Forbidden");
      return true;
    }
    if (!this.newConnections.take()) {
      rejectUpgrade(socket, 429, "Too Many Requests");
      return true;
    }
    this.accept(request, socket, head, served, url).catch((error: unknown) => {
      this.log.log("error", "upgrade failed", { error: error instanceof Error ? error.stack : String(error) });
      rejectUpgrade(socket, 500, "Internal server error");
    });
    return true;
  }

  private async accept(request: IncomingMessage, socket: Duplex, head: Buffer, served: ServedStage, url: URL): Promise<void> {
    const now = this.ctx.clock.now();
    const headers = flatHeaders(request);
    const partial = {
      id: connectionStyleId(),
      apiId: served.api.ApiId,
      stageName: served.stage.StageName,
      connectedAt: now,
      lastActiveAt: now,
      sourceIp: (request.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      userAgent: headers["user-agent"] ?? "",
      headers,
      query: Object.fromEntries(url.searchParams),
      domainName: headers.host ?? "127.0.0.1",
    };
    const connectRoute = served.configuration.routes.find((route) => route.RouteKey === "$connect");
    if (connectRoute?.Target !== undefined) {
      // $connect runs while the upgrade waits; a failing integration means no connection.
      const requestId = connectionStyleId();
      const outcome = await this.invokeRoute(served, connectRoute, partial, "CONNECT", "", requestId);
      if (outcome === undefined || outcome.error !== undefined || outcome.status >= 300) {
        const status = outcome === undefined ? 500 : outcome.status >= 400 ? outcome.status : 500;
        this.log.log("warn", "$connect refused the connection", { requestId, apiId: served.api.ApiId, status, error: outcome?.error });
        rejectUpgrade(socket, status, status === 403 ? "Forbidden" : status === 401 ? "Unauthorized" : "Internal server error");
        return;
      }
    }
    if (socket.destroyed) return;
    this.server.handleUpgrade(request, socket, head, (ws) => this.attach(ws, partial, socket));
  }

  private attach(
    socket: WebSocket,
    partial: Omit<Connection, "socket" | "arrived" | "pending" | "inFlight" | "paused" | "refused" | "idleTimer" | "lifeTimer">,
    raw: Duplex,
  ): void {
    const idleTimer = setTimeout(() => socket.close(1001, "Going away"), this.idleTimeoutMs).unref();
    const lifeTimer = setTimeout(() => socket.close(1001, "Going away"), this.maxConnectionMs).unref();
    const connection: Connection = { ...partial, socket, arrived: [], pending: [], inFlight: 0, paused: false, refused: false, idleTimer, lifeTimer };
    this.connections.set(connection.id, connection);
    // Ahead of ws's own reader, which may complete a message from the same chunk synchronously:
    // the frame limit must be known before that message would be integrated.
    const guard = new FrameSizeGuard(WEBSOCKET_LIMITS.maxFrameBytes);
    const onData = (chunk: Buffer) => {
      if (connection.refused) return;
      const oversized = guard.feed(chunk);
      if (oversized === undefined) return;
      connection.refused = true;
      raw.off("data", onData);
      this.log.log("warn", "closing a connection that sent a frame over the frame size limit", {
        connectionId: connection.id,
        frameBytes: oversized,
        limit: WEBSOCKET_LIMITS.maxFrameBytes,
      });
      socket.close(1009, "Frame too large");
    };
    raw.prependListener("data", onData);
    socket.on("message", (data: Buffer, isBinary: boolean) => this.onFrame(connection, data, isBinary));
    socket.on("ping", () => this.touch(connection));
    socket.on("error", (error) => this.log.log("debug", "connection error", { connectionId: connection.id, error: error.message }));
    socket.on("close", (code: number, reason: Buffer) => this.onClose(connection, code, reason.toString("utf8")));
  }

  private touch(connection: Connection): void {
    connection.lastActiveAt = this.ctx.clock.now();
    connection.idleTimer.refresh();
  }

  // ------------------------------------------------------------------ frames
  private onFrame(connection: Connection, data: Buffer, isBinary: boolean): void {
    if (connection.refused) return;
    this.touch(connection);
    if (isBinary) {
      // WebSocket APIs take text frames only.
      connection.socket.close(1003, "Binary frames are not supported");
      return;
    }
    const frame: ArrivedFrame = { body: data.toString("utf8"), receivedAt: this.ctx.clock.now() };
    if (this.orderedFrames) {
      this.admit(connection, frame);
      return;
    }
    connection.arrived.push(frame);
    if (connection.arrived.length === 1) setImmediate(() => this.dispatchArrived(connection));
  }

  /**
   * Each frame of a WebSocket API is its own integration request, and AWS documents no ordering
   * between the frames of one connection on their way to the integration (aws-semantics.md §6).
   * Frames that arrive close together, here those read in the same turn of the event loop, are
   * therefore handed to their integration in a random order: a client or template that needs its
   * frames to reach the queue in the order sent breaks locally too, as it may on AWS. Frames that
   * arrive apart keep their order. One shuffle per batch, so a frame costs a few array moves.
   */
  private dispatchArrived(connection: Connection): void {
    const batch = connection.arrived;
    connection.arrived = [];
    for (let i = batch.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const swap = batch[i]!;
      batch[i] = batch[j]!;
      batch[j] = swap;
    }
    for (const frame of batch) this.admit(connection, frame);
  }

  /**
   * Starts the frame's integration, or queues it behind the connection's earlier frames, its
   * in-flight limit, or this event-loop turn's budget.
   */
  private admit(connection: Connection, frame: ArrivedFrame): void {
    if (connection.pending.length === 0 && connection.inFlight < BACKPRESSURE.maxInFlightFrames && this.takeTurnBudget()) {
      this.start(connection, frame);
      return;
    }
    connection.pending.push(frame);
    if (connection.inFlight < BACKPRESSURE.maxInFlightFrames) this.heldForNextTurn.add(connection);
    if (connection.pending.length >= BACKPRESSURE.maxPendingFrames && !connection.paused) {
      // Stop reading from the client until its frames have gone through: no unbounded buffer.
      connection.paused = true;
      connection.socket.pause();
    }
  }

  /**
   * One more frame integrated in this event-loop turn, if the turn's budget allows. A burst's
   * frames arrive faster than they are integrated (template, validation, the SQS call): without a
   * budget one turn took every buffered frame of every connection, and the HTTP requests waiting
   * behind them (a depth probe's GetQueueAttributes, a function's @connections post) waited for all
   * of it. The next turn resets the budget and resumes the held connections in order.
   */
  private takeTurnBudget(): boolean {
    if (this.framesThisTurn >= BACKPRESSURE.maxFramesPerTurn) return false;
    this.framesThisTurn++;
    this.nextTurn ??= setImmediate(() => this.newTurn());
    return true;
  }

  private newTurn(): void {
    this.nextTurn = undefined;
    this.framesThisTurn = 0;
    const held = [...this.heldForNextTurn];
    this.heldForNextTurn.clear();
    // Round robin: a connection that used up this turn's budget goes behind those it kept waiting.
    const exhausted: Connection[] = [];
    for (const connection of held) {
      if (this.framesThisTurn >= BACKPRESSURE.maxFramesPerTurn) {
        this.heldForNextTurn.add(connection);
        continue;
      }
      this.startPending(connection);
      if (this.heldForNextTurn.delete(connection)) exhausted.push(connection);
    }
    for (const connection of exhausted) this.heldForNextTurn.add(connection);
  }

  /** Starts a connection's waiting frames, in arrival order, as far as its in-flight limit and the turn's budget allow. */
  private startPending(connection: Connection): void {
    while (connection.pending.length > 0 && connection.inFlight < BACKPRESSURE.maxInFlightFrames) {
      if (!this.takeTurnBudget()) {
        this.heldForNextTurn.add(connection);
        break;
      }
      this.start(connection, connection.pending.shift()!);
    }
    if (connection.paused && connection.pending.length <= BACKPRESSURE.maxPendingFrames / 2) {
      connection.paused = false;
      connection.socket.resume();
    }
  }

  /**
   * Everything up to the SQS call is synchronous, so the queue sees frames in the order they are
   * started (the order dispatchArrived chose), while several of them can wait for the same durable
   * commit (a frame at a time would cost a disk flush each).
   */
  private start(connection: Connection, frame: ArrivedFrame): void {
    connection.inFlight += 1;
    this.handleFrame(connection, frame.body, frame.receivedAt)
      .catch((error: unknown) =>
        this.log.log("error", "frame handling failed", { connectionId: connection.id, error: error instanceof Error ? error.stack : String(error) }),
      )
      .finally(() => {
        connection.inFlight -= 1;
        this.startPending(connection);
      });
  }

  private async handleFrame(connection: Connection, body: string, receivedAt: number): Promise<void> {
    const requestId = connectionStyleId();
    const served = this.control.servedStage(connection.apiId, connection.stageName);
    if (served === undefined) {
      connection.socket.close(1001, "Going away");
      return;
    }
    if (!this.account.take() || !this.stageBucket(served).take()) {
      this.sendError(connection, "Too Many Requests", requestId);
      return;
    }
    const key = evaluateSelectionExpression(served.api.RouteSelectionExpression, { body });
    const routes = served.configuration.routes;
    const route =
      (key !== undefined && key !== "$connect" && key !== "$disconnect" ? routes.find((r) => r.RouteKey === key) : undefined) ??
      routes.find((r) => r.RouteKey === "$default");
    if (route === undefined) {
      this.log.log("warn", "no route matched the message and there is no $default route", { requestId, connectionId: connection.id, selected: key });
      this.sendError(connection, "Forbidden", requestId);
      return;
    }
    const outcome = await this.invokeRoute(served, route, connection, "MESSAGE", body, requestId, {
      requestTimeEpoch: receivedAt,
      requestTime: commonLogTime(receivedAt),
    });
    if (outcome === undefined || outcome.error !== undefined || outcome.status >= 400) {
      this.log.log("warn", "integration failed", {
        requestId,
        connectionId: connection.id,
        routeKey: route.RouteKey,
        status: outcome?.status,
        error: outcome?.error ?? "no integration",
      });
      this.sendError(connection, "Internal server error", requestId);
      return;
    }
    const twoWay = route.RouteResponseSelectionExpression !== undefined && served.configuration.routeResponses.some((r) => r.RouteId === route.RouteId);
    if (twoWay) {
      const integration = this.integrationOf(served, route)!;
      const text = routeResponseText(
        outcome,
        integration,
        served.configuration.integrationResponses,
        this.context(served, route, connection, "MESSAGE", requestId),
      );
      if (text !== "") this.deliver(connection, text);
    }
  }

  private integrationOf(served: ServedStage, route: RouteRecord) {
    const id = /^integrations\/(.+)$/.exec(route.Target ?? "")?.[1];
    return id === undefined ? undefined : served.configuration.integrations.find((i) => i.IntegrationId === id);
  }

  private context(
    served: ServedStage,
    route: RouteRecord,
    connection: Pick<Connection, "id" | "connectedAt" | "sourceIp" | "userAgent" | "domainName">,
    eventType: "CONNECT" | "MESSAGE" | "DISCONNECT",
    requestId: string,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> {
    const now = this.ctx.clock.now();
    return {
      routeKey: route.RouteKey,
      eventType,
      ...(eventType === "MESSAGE" ? { messageId: connectionStyleId() } : {}),
      extendedRequestId: requestId,
      requestTime: commonLogTime(now),
      messageDirection: "IN",
      stage: served.stage.StageName,
      connectedAt: connection.connectedAt,
      requestTimeEpoch: now,
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      requestId,
      domainName: connection.domainName,
      connectionId: connection.id,
      apiId: served.api.ApiId,
      ...extra,
    };
  }

  private async invokeRoute(
    served: ServedStage,
    route: RouteRecord,
    connection: Pick<Connection, "id" | "connectedAt" | "sourceIp" | "userAgent" | "domainName" | "headers" | "query">,
    eventType: "CONNECT" | "MESSAGE" | "DISCONNECT",
    body: string,
    requestId: string,
    extra: Record<string, unknown> = {},
  ) {
    const integration = this.integrationOf(served, route);
    if (integration === undefined) return undefined;
    return runIntegration(
      {
        route,
        integration,
        body,
        context: this.context(served, route, connection, eventType, requestId, extra),
        headers: connection.headers,
        query: connection.query,
        stageVariables: served.stage.StageVariables ?? {},
        region: this.ctx.region,
      },
      this.deps,
    );
  }

  private stageBucket(served: ServedStage): TokenBucket {
    const settings = served.stage.DefaultRouteSettings ?? {};
    const rate = settings.ThrottlingRateLimit ?? WEBSOCKET_LIMITS.accountRatePerSecond;
    const burst = settings.ThrottlingBurstLimit ?? WEBSOCKET_LIMITS.accountBurst;
    const id = `${served.api.ApiId}/${served.stage.StageName}`;
    const key = `${rate}/${burst}`;
    const existing = this.stageBuckets.get(id);
    if (existing !== undefined && existing.key === key) return existing.bucket;
    const bucket = new TokenBucket(rate, burst, () => this.ctx.clock.now());
    this.stageBuckets.set(id, { key, bucket });
    return bucket;
  }

  /** The frame API Gateway sends when it could not process a message. */
  private sendError(connection: Connection, message: string, requestId: string): void {
    this.deliver(connection, JSON.stringify({ message, connectionId: connection.id, requestId }));
  }

  /** Sends to the client unless it has stopped reading; such a client is dropped, not buffered for. */
  private deliver(connection: Connection, data: string | Buffer, binary = false): boolean {
    const socket = connection.socket;
    if (socket.readyState !== WebSocket.OPEN) return false;
    if (socket.bufferedAmount > BACKPRESSURE.maxUnsentBytes) {
      this.log.log("warn", "dropping a connection that does not read what is sent to it", { connectionId: connection.id, unsentBytes: socket.bufferedAmount });
      socket.terminate();
      return false;
    }
    socket.send(data, { binary });
    return true;
  }

  // ------------------------------------------------------------------ closing
  private onClose(connection: Connection, code: number, reason: string): void {
    clearTimeout(connection.idleTimer);
    clearTimeout(connection.lifeTimer);
    // Frames waiting for an in-flight slot are dropped with the connection; those that arrived in
    // this turn are still dispatched, as a frame received before the close always was.
    connection.pending.length = 0;
    if (this.connections.get(connection.id) !== connection) return;
    this.connections.delete(connection.id);
    const served = this.control.servedStage(connection.apiId, connection.stageName);
    const route = served?.configuration.routes.find((r) => r.RouteKey === "$disconnect");
    if (served === undefined || route?.Target === undefined) return;
    // $disconnect is best effort: the connection is already gone, nothing can be sent on it.
    const requestId = connectionStyleId();
    void this.invokeRoute(served, route, connection, "DISCONNECT", "", requestId, { disconnectStatusCode: code, disconnectReason: reason }).then((outcome) => {
      if (outcome?.error !== undefined)
        this.log.log("warn", "$disconnect integration failed", { requestId, connectionId: connection.id, error: outcome.error });
    });
  }

  private closeWhere(match: (connection: Connection) => boolean, code: number, reason: string): void {
    for (const connection of this.connections.values()) if (match(connection)) connection.socket.close(code, reason);
  }

  // ------------------------------------------------------------------ @connections
  private connectionFor(apiId: string, stageName: string, connectionId: string): Connection {
    const connection = this.connections.get(connectionId);
    if (connection === undefined || connection.apiId !== apiId || connection.stageName !== stageName || connection.socket.readyState !== WebSocket.OPEN) {
      throw managementErrors.gone(connectionId);
    }
    return connection;
  }

  post(apiId: string, stageName: string, connectionId: string, data: Buffer): void {
    const connection = this.connectionFor(apiId, stageName, connectionId);
    if (data.length > WEBSOCKET_LIMITS.maxPostBytes) throw managementErrors.payloadTooLarge(WEBSOCKET_LIMITS.maxPostBytes);
    let text: string | undefined;
    try {
      text = utf8.decode(data);
    } catch {
      text = undefined;
    }
    if (!(text !== undefined ? this.deliver(connection, text) : this.deliver(connection, data, true))) throw managementErrors.gone(connectionId);
  }

  info(apiId: string, stageName: string, connectionId: string): ConnectionInfo {
    const connection = this.connectionFor(apiId, stageName, connectionId);
    return {
      connectedAt: new Date(connection.connectedAt).toISOString(),
      lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
    };
  }

  disconnect(apiId: string, stageName: string, connectionId: string): void {
    this.connectionFor(apiId, stageName, connectionId).socket.close(1000, "");
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.nextTurn !== undefined) clearImmediate(this.nextTurn);
    // Each connection leaves the table on its socket's close event (onClose, registered first).
    const closed = Promise.all([...this.connections.values()].map((connection) => new Promise((resolve) => connection.socket.once("close", resolve))));
    this.closeWhere(() => true, 1001, "Going away");
    await settledWithin(closed, CLOSE_HANDSHAKE_GRACE_MS);
    for (const connection of this.connections.values()) connection.socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
