/**
 * A keep-alive HTTP/1.1 client for one origin, for the handler's one request: a POST with a
 * Content-Length body (the @connections post), answered with a status, headers and a short body.
 *
 * Why by hand, when node:http exists: a function worker sees about a hundred posts per burst and
 * never gets warm, and node:http's client machinery (ClientRequest, the Agent, IncomingMessage and
 * their streams, header validation) cost about 250-380 µs of CPU per post after 300 posts on the
 * 2-core machine, against 115-125 µs for the same request written to a kept-alive socket and its
 * answer parsed here (bench/post-back-floor.mjs prints the handler's client per post; fetch, the
 * other built-in, cost 1.4 ms; undici alone would be several times the handler zip's 40 KB budget).
 * The post is most of a function worker's CPU per message, and on AWS what Lambda bills.
 *
 * What it does, by RFC 9112: one request at a time per connection (no pipelining); the answer's
 * body delimited by Content-Length, chunked Transfer-Encoding (extensions and trailers skipped) or
 * the connection's close; no body for 204, 304 or HEAD; 1xx interim answers skipped; keep-alive
 * unless the answer says `Connection: close` (or is HTTP/1.0 without `keep-alive`); an idle
 * connection closed after `idleMs` or as soon as the server closes it; `https:` over node:tls with
 * SNI and the platform's certificate checks. What it refuses (as a malformed answer, which ends the
 * connection): a head over 64 KiB, a body over 1 MiB (API Gateway's answers are a few hundred
 * bytes), conflicting Content-Lengths, bytes arriving while no request is out.
 * Errors carry the socket's `code` (ECONNRESET, ECONNREFUSED, EPIPE...); a connection that closes
 * before the whole answer is "socket hang up" with ECONNRESET, as node:http reports it, so the
 * caller's retry rules treat them alike.
 */
import type { Socket } from "node:net";
import type { ConnectionOptions } from "node:tls";

export interface Http1Answer {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export interface Http1Origin {
  protocol: "http:" | "https:";
  hostname: string;
  port: number;
  /** Extra TLS options for https: (tests pass the CA of a local server). */
  tls?: Pick<ConnectionOptions, "ca">;
}

export const MAX_HEAD_BYTES = 64 * 1024;
export const MAX_BODY_BYTES = 1024 * 1024;
const CRLF = Buffer.from("\r\n", "latin1");
const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORBIDDEN_IN_HEAD = /[\r\n]/;

/** An error with the `code` a socket error would have. */
function codedError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

function malformed(why: string): Error & { code: string } {
  return codedError(`Malformed HTTP answer: ${why}`, "HPE_INVALID");
}

type BodyMode = { kind: "none" } | { kind: "length"; remaining: number } | { kind: "chunked" } | { kind: "close" };

interface Head {
  status: number;
  headers: Record<string, string>;
  keepAlive: boolean;
}

/**
 * The answer to one request, parsed incrementally from the bytes as they arrive (pure: no sockets,
 * so any split of the bytes can be tested). `push` returns the answer once it is complete.
 */
export class ResponseParser {
  private buffer: Buffer = Buffer.alloc(0);
  private head: Head | undefined;
  private mode: BodyMode = { kind: "none" };
  private readonly body: Buffer[] = [];
  private bodyBytes = 0;
  private chunk: "size" | "data" | "data-end" | "trailer" = "size";
  private chunkRemaining = 0;
  private done = false;

  constructor(private readonly method: string) {}

  /** Whether the connection may carry another request after this answer (known once it is complete). */
  get keepAlive(): boolean {
    return this.head?.keepAlive === true && this.mode.kind !== "close";
  }

  /** Feeds bytes; returns the whole answer once it is there. Throws on a malformed answer, or on bytes after it. */
  push(data: Buffer): Http1Answer | undefined {
    if (this.done) {
      if (data.length > 0) throw malformed("bytes after the end of the answer");
      return undefined;
    }
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    while (this.head === undefined) {
      const end = this.buffer.indexOf(HEAD_END);
      if (end === -1) {
        if (this.buffer.length > MAX_HEAD_BYTES) throw malformed(`a head over ${MAX_HEAD_BYTES} bytes`);
        return undefined;
      }
      if (end > MAX_HEAD_BYTES) throw malformed(`a head over ${MAX_HEAD_BYTES} bytes`);
      const head = this.parseHead(this.buffer.toString("latin1", 0, end));
      this.buffer = this.buffer.subarray(end + HEAD_END.length);
      // An interim answer (100 Continue, 103 Early Hints): the real one follows.
      if (head.status >= 100 && head.status < 200) continue;
      this.head = head;
      this.mode = this.bodyMode(head);
    }
    return this.readBody();
  }

  /** The connection ended: the answer if it was delimited by the close, else the error of an answer cut short. */
  end(): Http1Answer {
    if (this.head !== undefined && this.mode.kind === "close" && !this.done) {
      this.done = true;
      return this.answer();
    }
    throw codedError("socket hang up", "ECONNRESET");
  }

  private parseHead(text: string): Head {
    const lines = text.split("\r\n");
    const statusLine = STATUS_LINE.exec(lines[0] ?? "");
    if (statusLine === null) throw malformed(`status line ${JSON.stringify((lines[0] ?? "").slice(0, 80))}`);
    const headers: Record<string, string> = {};
    for (let index = 1; index < lines.length; index++) {
      const line = lines[index] as string;
      const colon = line.indexOf(":");
      // Obsolete line folding (a line starting with whitespace) is refused, as RFC 9112 allows.
      if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) throw malformed(`header line ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      const previous = headers[name];
      headers[name] = previous === undefined ? value : `${previous}, ${value}`;
    }
    const minor = statusLine[1];
    const connection = (headers.connection ?? "").toLowerCase();
    const keepAlive = minor === "1" ? !/(^|,)\s*close\s*(,|$)/.test(connection) : /(^|,)\s*keep-alive\s*(,|$)/.test(connection);
    return { status: Number(statusLine[2]), headers, keepAlive };
  }

  private bodyMode(head: Head): BodyMode {
    if (this.method === "HEAD" || head.status === 204 || head.status === 304) return { kind: "none" };
    const transferEncoding = head.headers["transfer-encoding"];
    if (transferEncoding !== undefined) {
      const codings = transferEncoding
        .toLowerCase()
        .split(",")
        .map((coding) => coding.trim());
      // Chunked must be the last coding; any other framing is delimited by the close (RFC 9112 6.3).
      return codings[codings.length - 1] === "chunked" ? { kind: "chunked" } : { kind: "close" };
    }
    const contentLength = head.headers["content-length"];
    if (contentLength !== undefined) {
      const values = new Set(contentLength.split(",").map((value) => value.trim()));
      const [only] = values;
      if (values.size !== 1 || only === undefined || !/^\d+$/.test(only)) throw malformed(`Content-Length ${JSON.stringify(contentLength)}`);
      const length = Number(only);
      if (length > MAX_BODY_BYTES) throw malformed(`a body of ${length} bytes`);
      return { kind: "length", remaining: length };
    }
    return { kind: "close" };
  }

  private take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.bodyBytes += bytes.length;
    if (this.bodyBytes > MAX_BODY_BYTES) throw malformed(`a body over ${MAX_BODY_BYTES} bytes`);
    this.body.push(bytes);
  }

  private readBody(): Http1Answer | undefined {
    const mode = this.mode;
    if (mode.kind === "none") return this.finish();
    if (mode.kind === "close") {
      this.take(this.buffer);
      this.buffer = Buffer.alloc(0);
      return undefined;
    }
    if (mode.kind === "length") {
      const taken = this.buffer.subarray(0, mode.remaining);
      this.take(taken);
      mode.remaining -= taken.length;
      this.buffer = this.buffer.subarray(taken.length);
      return mode.remaining === 0 ? this.finish() : undefined;
    }
    for (;;) {
      if (this.chunk === "size") {
        const end = this.buffer.indexOf(CRLF);
        if (end === -1) {
          if (this.buffer.length > 1024) throw malformed("a chunk size line over 1024 bytes");
          return undefined;
        }
        const sizeText = this.buffer.toString("latin1", 0, end).split(";")[0]?.trim() ?? "";
        if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw malformed(`chunk size ${JSON.stringify(sizeText.slice(0, 20))}`);
        this.buffer = this.buffer.subarray(end + CRLF.length);
        this.chunkRemaining = parseInt(sizeText, 16);
        this.chunk = this.chunkRemaining === 0 ? "trailer" : "data";
      } else if (this.chunk === "data") {
        const taken = this.buffer.subarray(0, this.chunkRemaining);
        this.take(taken);
        this.chunkRemaining -= taken.length;
        this.buffer = this.buffer.subarray(taken.length);
        if (this.chunkRemaining > 0) return undefined;
        this.chunk = "data-end";
      } else if (this.chunk === "data-end") {
        if (this.buffer.length < 2) return undefined;
        if (this.buffer[0] !== 13 || this.buffer[1] !== 10) throw malformed("a chunk not followed by CRLF");
        this.buffer = this.buffer.subarray(2);
        this.chunk = "size";
      } else {
        // Trailer fields, skipped, up to the empty line.
        const end = this.buffer.indexOf(CRLF);
        if (end === -1) {
          if (this.buffer.length > MAX_HEAD_BYTES) throw malformed(`trailers over ${MAX_HEAD_BYTES} bytes`);
          return undefined;
        }
        this.buffer = this.buffer.subarray(end + CRLF.length);
        if (end === 0) return this.finish();
      }
    }
  }

  private finish(): Http1Answer {
    if (this.buffer.length > 0) throw malformed("bytes after the end of the answer");
    this.done = true;
    return this.answer();
  }

  private answer(): Http1Answer {
    const head = this.head as Head;
    return { status: head.status, headers: head.headers, body: this.body.length === 1 ? (this.body[0] as Buffer) : Buffer.concat(this.body) };
  }
}

interface Exchange {
  parser: ResponseParser;
  resolve: (answer: Http1Answer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One kept-alive connection: at most one exchange at a time. */
class Connection {
  private exchange: Exchange | undefined;
  closed = false;

  constructor(
    readonly socket: Socket,
    private readonly onIdle: (connection: Connection) => void,
    private readonly onGone: (connection: Connection) => void,
    idleMs: number,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(idleMs, () => {
      // Idle too long (no exchange under way: the exchange's own timer bounds a request).
      if (this.exchange === undefined) this.destroy();
    });
    socket.on("data", (data: Buffer) => this.onData(data));
    socket.on("error", (error: Error) => this.fail(error));
    // The server half-closed: nothing more can be sent on it.
    socket.on("end", () => this.onEnd());
    socket.on("close", () => this.onEnd());
  }

  send(head: Buffer, body: Uint8Array, parser: ResponseParser, timeoutMs: number): Promise<Http1Answer> {
    return new Promise<Http1Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(Object.assign(new Error(`No answer within ${timeoutMs} ms.`), { name: "TimeoutError" }));
      }, timeoutMs);
      this.exchange = { parser, resolve, reject, timer };
      this.socket.write(body.byteLength === 0 ? head : Buffer.concat([head, body]));
    });
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onGone(this);
  }

  private onData(data: Buffer): void {
    const exchange = this.exchange;
    if (exchange === undefined) {
      // Nothing was asked: a server that talks out of turn cannot be trusted with the next request.
      this.destroy();
      return;
    }
    let answer: Http1Answer | undefined;
    try {
      answer = exchange.parser.push(data);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (answer === undefined) return;
    this.settle();
    if (exchange.parser.keepAlive) this.onIdle(this);
    else this.destroy();
    exchange.resolve(answer);
  }

  private onEnd(): void {
    const exchange = this.exchange;
    if (exchange === undefined) {
      this.destroy();
      return;
    }
    let answer: Http1Answer;
    try {
      answer = exchange.parser.end();
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    this.settle();
    this.destroy();
    exchange.resolve(answer);
  }

  private fail(error: Error): void {
    const exchange = this.exchange;
    this.settle();
    this.destroy();
    exchange?.reject(error);
  }

  private settle(): void {
    if (this.exchange !== undefined) clearTimeout(this.exchange.timer);
    this.exchange = undefined;
  }
}

export interface Http1ClientOptions {
  /** Connections open at once; requests beyond wait for one. */
  maxSockets: number;
  /** An idle connection is closed after this long. */
  idleMs: number;
}

/** Keep-alive connections to one origin, most recently used first. */
export class Http1Client {
  private readonly idle: Connection[] = [];
  private readonly open = new Set<Connection>();
  private readonly waiting: (() => void)[] = [];
  private connectModule: Promise<(origin: Http1Origin) => Socket> | undefined;

  constructor(
    private readonly origin: Http1Origin,
    private readonly options: Http1ClientOptions,
  ) {}

  /**
   * One exchange. `headers` go out as given (the caller signed them, Host included); a
   * Content-Length for `body` must be among them. Resolves with the answer, whatever its status.
   */
  async request(method: string, path: string, headers: Record<string, string>, body: Uint8Array, timeoutMs: number): Promise<Http1Answer> {
    let text = `${method} ${path} HTTP/1.1\r\n`;
    if (FORBIDDEN_IN_HEAD.test(path) || !TOKEN.test(method)) throw new TypeError(`Refusing to send ${method} ${JSON.stringify(path)}.`);
    for (const name in headers) {
      const value = headers[name] as string;
      if (!TOKEN.test(name) || FORBIDDEN_IN_HEAD.test(value)) throw new TypeError(`Refusing to send the header ${JSON.stringify(name)}.`);
      text += `${name}: ${value}\r\n`;
    }
    const head = Buffer.from(`${text}\r\n`, "latin1");
    const connection = await this.connection();
    return connection.send(head, body, new ResponseParser(method), timeoutMs);
  }

  /** Closes every connection; requests under way fail with their socket's error. */
  destroy(): void {
    for (const connection of [...this.open]) connection.destroy();
  }

  private async connection(): Promise<Connection> {
    // Loaded first: from here on, finding or opening a connection takes no turn, so concurrent
    // callers cannot all see room under maxSockets.
    const connect = await (this.connectModule ??= this.loadConnect());
    for (;;) {
      const idle = this.idle.pop();
      if (idle !== undefined) {
        if (!idle.closed && !idle.socket.destroyed) return idle;
        continue;
      }
      if (this.open.size < this.options.maxSockets) break;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    const connection = new Connection(
      connect(this.origin),
      (ready) => {
        this.idle.push(ready);
        this.waiting.shift()?.();
      },
      (gone) => {
        this.open.delete(gone);
        const index = this.idle.indexOf(gone);
        if (index !== -1) this.idle.splice(index, 1);
        this.waiting.shift()?.();
      },
      this.options.idleMs,
    );
    this.open.add(connection);
    return connection;
  }

  /**
   * node:net or node:tls, loaded on the first request, only the one the origin needs: loading TLS
   * costs an environment's INIT about 15 ms, and the local cloud's endpoint is plain http.
   */
  private async loadConnect(): Promise<(origin: Http1Origin) => Socket> {
    if (this.origin.protocol === "https:") {
      const tls = await import("node:tls");
      const { isIP } = await import("node:net");
      return (origin) =>
        tls.connect({
          host: origin.hostname,
          port: origin.port,
          ALPNProtocols: ["http/1.1"],
          ...(isIP(origin.hostname) === 0 ? { servername: origin.hostname } : {}),
          ...origin.tls,
        });
    }
    const net = await import("node:net");
    return (origin) => net.connect({ host: origin.hostname, port: origin.port });
  }
}
