import WebSocket from "ws";
import { WsqError } from "../../shared/errors.js";
import { DEFAULT_CONNECT_TIMEOUT_MS } from "../../shared/defaults.js";

export interface OpenOptions {
  headers?: Record<string, string>;
  connectTimeoutMs?: number;
}

/**
 * Open a WebSocket and resolve once it is open. Every way it can fail becomes a WsqError that
 * names the cause (nothing listening, no answer in time, an HTTP status instead of an upgrade),
 * because "socket hang up" tells a user nothing. The socket is never left half-open on failure.
 */
export function openWebSocket(url: string, options: OpenOptions = {}): Promise<WebSocket> {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = new WebSocket(url, { headers: options.headers ?? {}, handshakeTimeout: timeoutMs, perMessageDeflate: false });
    // ws's handshakeTimeout covers the HTTP request; this timer also covers a TCP connect that
    // never completes (a black-holed address), so the bound holds whatever the network does.
    const timer = setTimeout(() => fail(timeoutError(url, timeoutMs)), timeoutMs + 250);
    const fail = (error: WsqError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.terminate();
      reject(error);
    };
    socket.once("open", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners();
      resolve(socket);
    });
    socket.once("unexpected-response", (_request, response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      fail(httpStatusError(url, status));
    });
    socket.once("error", (error: NodeJS.ErrnoException) => fail(networkError(url, error, timeoutMs)));
  });
}

function timeoutError(url: string, timeoutMs: number): WsqError {
  return new WsqError("CONNECT_TIMEOUT", `${url} did not answer within ${timeoutMs / 1000} s.`, {
    hint: "Check the URL and your network; a firewall or a wrong host name can swallow the connection. Raise the limit with --connect-timeout.",
  });
}

/** The server answered the upgrade request with an HTTP status instead of switching protocols. */
export class WebSocketRejectedError extends WsqError {
  constructor(
    message: string,
    /** The upgrade response's HTTP status: 429 is API Gateway throttling new connections. */
    readonly httpStatus: number,
    options: { hint: string },
  ) {
    super("CONNECT_REJECTED", message, options);
  }
}

function httpStatusError(url: string, status: number): WebSocketRejectedError {
  const why =
    status === 403 || status === 401
      ? "the API refused the connection (a wrong stage path, or an authorizer on $connect said no)"
      : status === 404
        ? "no WebSocket API lives at that path"
        : status === 429
          ? "the API is throttling new connections (API Gateway allows 500 new connections per second per account and Region)"
          : status >= 500
            ? "the API failed while accepting the connection (its $connect route may have failed)"
            : "the server answered with HTTP instead of upgrading to a WebSocket";
  return new WebSocketRejectedError(`${url} answered HTTP ${status}: ${why}.`, status, {
    hint: "Check the URL (`wsq status` prints the stack's WebSocketUrl) and any --header the API needs.",
  });
}

function networkError(url: string, error: NodeJS.ErrnoException, timeoutMs: number): WsqError {
  const code = error.code ?? "";
  if (code === "ECONNREFUSED") {
    return new WsqError("CONNECT_REFUSED", `Nothing is listening at ${url} (connection refused).`, {
      hint: "For the local target, check that it runs (`wsq local status`) and that the stack is deployed (`wsq deploy`).",
      cause: error,
    });
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new WsqError("CONNECT_DNS", `The host in ${url} could not be found (${code}).`, {
      hint: "Check the URL for typos; `wsq status` prints the deployed URL.",
      cause: error,
    });
  }
  if (code === "ETIMEDOUT" || /timed out|timeout/i.test(error.message)) return timeoutError(url, timeoutMs);
  return new WsqError("CONNECT_FAILED", `Could not connect to ${url}: ${error.message}${code ? ` (${code})` : ""}.`, {
    hint: "Check the URL and your network.",
    cause: error,
  });
}
