import fc from "fast-check";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { Http1Client, MAX_BODY_BYTES, MAX_HEAD_BYTES, ResponseParser, type Http1Answer } from "../../../src/handler/http1.js";

// The handler's HTTP/1.1 client: its parser on bytes split every way (pure), then the client
// against loopback servers: node:http's own answers, raw sockets that misbehave, and TLS.

const TLS_DIR = new URL("../../fixtures/tls/", import.meta.url);
const CERT = readFileSync(new URL("localhost.cert.pem", TLS_DIR), "utf8");
const KEY = readFileSync(new URL("localhost.key.pem", TLS_DIR), "utf8");

/** Feeds `pieces` one by one; the answer, once complete (and whether the connection stays usable). */
function parse(pieces: (string | Buffer)[], method = "POST"): { answer: Http1Answer | undefined; keepAlive: boolean } {
  const parser = new ResponseParser(method);
  let answer: Http1Answer | undefined;
  for (const piece of pieces) {
    const got = parser.push(typeof piece === "string" ? Buffer.from(piece, "latin1") : piece);
    if (got !== undefined) answer = got;
  }
  return { answer, keepAlive: parser.keepAlive };
}

describe("ResponseParser", () => {
  it("reads a Content-Length answer, with lower-cased header names and repeated headers joined", () => {
    const { answer, keepAlive } = parse([
      "HTTP/1.1 410 Gone\r\nX-Amzn-ErrorType: GoneException\r\nVia: a\r\nvia: b\r\nContent-Length: 17\r\n\r\n",
      '{"message":"no"}\n',
    ]);
    expect(answer).toEqual({
      status: 410,
      headers: { "x-amzn-errortype": "GoneException", via: "a, b", "content-length": "17" },
      body: Buffer.from('{"message":"no"}\n'),
    });
    expect(keepAlive).toBe(true);
  });

  it("reads a chunked answer, skipping chunk extensions and trailers", () => {
    const { answer } = parse(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"]);
    expect(answer?.body.toString()).toBe("hello world");
  });

  it("has no body for 204, 304 and HEAD, and skips 1xx interim answers", () => {
    expect(parse(["HTTP/1.1 204 No Content\r\n\r\n"]).answer).toMatchObject({ status: 204, body: Buffer.alloc(0) });
    expect(parse(["HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"]).answer).toMatchObject({ status: 304 });
    expect(parse(["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"], "HEAD").answer).toMatchObject({ status: 200, body: Buffer.alloc(0) });
    expect(
      parse(["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]).answer,
    ).toMatchObject({
      status: 200,
      body: Buffer.from("ok"),
    });
  });

  it("keeps the connection unless the answer closes it: Connection: close, HTTP/1.0, or a body delimited by the close", () => {
    expect(parse(["HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n"]).keepAlive).toBe(false);
    expect(parse(["HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"]).keepAlive).toBe(false);
    expect(parse(["HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"]).keepAlive).toBe(true);
    const parser = new ResponseParser("POST");
    expect(parser.push(Buffer.from("HTTP/1.1 500 Internal Server Error\r\n\r\nall of it"))).toBeUndefined();
    expect(parser.push(Buffer.from(" until the end"))).toBeUndefined();
    expect(parser.keepAlive).toBe(false);
    expect(parser.end()).toMatchObject({ status: 500, body: Buffer.from("all of it until the end") });
  });

  it("reports an answer cut short as a socket hang up (ECONNRESET), as node:http does", () => {
    const parser = new ResponseParser("POST");
    parser.push(Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"));
    expect(() => parser.end()).toThrow(expect.objectContaining({ message: "socket hang up", code: "ECONNRESET" }));
    expect(() => new ResponseParser("POST").end()).toThrow("socket hang up");
  });

  it.each([
    ["a status line that is not HTTP/1.x", "HTTP/2 200\r\n\r\n"],
    ["a header line without a colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n"],
    ["obsolete line folding", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n"],
    ["conflicting Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"],
    ["a Content-Length that is not a number", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"],
    ["a body over the limit", `HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`],
    ["a chunk size that is not hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
    ["a chunk without its CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX"],
    ["bytes after the answer", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n"],
  ])("refuses %s", (_why, text) => {
    expect(() => parse([text])).toThrow(expect.objectContaining({ code: "HPE_INVALID" }));
  });

  it("refuses a head over the limit before it has seen all of it", () => {
    const parser = new ResponseParser("POST");
    parser.push(Buffer.from("HTTP/1.1 200 OK\r\n"));
    expect(() => parser.push(Buffer.from(`X-Big: ${"a".repeat(MAX_HEAD_BYTES)}`))).toThrow(/head over/);
  });

  it("reads the same answer however the bytes are split", () => {
    const answers = fc.record({
      status: fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304),
      body: fc.uint8Array({ maxLength: 300 }),
      chunked: fc.boolean(),
      interim: fc.boolean(),
      chunkSize: fc.integer({ min: 1, max: 64 }),
    });
    fc.assert(
      fc.property(answers, fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 20 }), (spec, cuts) => {
        const body = Buffer.from(spec.body);
        let framed: Buffer;
        if (spec.chunked) {
          const pieces: Buffer[] = [];
          for (let i = 0; i < body.length; i += spec.chunkSize) {
            const chunk = body.subarray(i, i + spec.chunkSize);
            pieces.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
          }
          framed = Buffer.concat([Buffer.from(`HTTP/1.1 ${spec.status} X\r\nTransfer-Encoding: chunked\r\n\r\n`), ...pieces, Buffer.from("0\r\n\r\n")]);
        } else framed = Buffer.concat([Buffer.from(`HTTP/1.1 ${spec.status} X\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
        if (spec.interim) framed = Buffer.concat([Buffer.from("HTTP/1.1 100 Continue\r\n\r\n"), framed]);
        const pieces: Buffer[] = [];
        let at = 0;
        for (const cut of cuts) {
          if (at >= framed.length) break;
          pieces.push(framed.subarray(at, at + cut));
          at += cut;
        }
        if (at < framed.length) pieces.push(framed.subarray(at));
        const { answer } = parse(pieces);
        expect(answer?.status).toBe(spec.status);
        expect(answer?.body.equals(body)).toBe(true);
      }),
    );
  });
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A node:http server answering with `answer`, counting the connections it saw. */
async function httpServer(answer: (request: IncomingMessage, response: ServerResponse) => void) {
  const sockets = new Set<object>();
  const server = createHttpServer((request, response) => {
    sockets.add(request.socket);
    request.resume();
    request.on("end", () => answer(request, response));
  });
  const port = await listen(server);
  return { port, connections: () => sockets.size };
}

/** A raw TCP server: `onRequest` gets each request's bytes (head and body, as they came) and the socket. */
async function rawServer(onRequest: (socket: Socket, text: string, index: number) => void) {
  let index = 0;
  let connections = 0;
  const server = createNetServer((socket) => {
    connections += 1;
    socket.on("data", (data) => onRequest(socket, data.toString("latin1"), index++));
    socket.on("error", () => undefined);
  });
  const port = await listen(server);
  return { port, connections: () => connections };
}

function client(port: number, options: { maxSockets?: number; idleMs?: number } = {}) {
  const http = new Http1Client({ protocol: "http:", hostname: "127.0.0.1", port }, { maxSockets: options.maxSockets ?? 50, idleMs: options.idleMs ?? 4000 });
  onTestFinished(() => http.destroy());
  return http;
}

const post = (http: Http1Client, port: number, body = "payload", timeoutMs = 5000) =>
  http.request(
    "POST",
    "/prod/@connections/abc%3D",
    { host: `127.0.0.1:${port}`, "content-length": String(Buffer.byteLength(body)) },
    Buffer.from(body),
    timeoutMs,
  );

const waitFor = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
};

describe("Http1Client", () => {
  it("sends the request as given and reuses the connection for the next one", async () => {
    const seen: string[] = [];
    const server = await httpServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers["content-length"]}`);
      response.writeHead(200, { "x-amzn-requestid": "r1" }).end();
    });
    const http = client(server.port);
    for (let i = 0; i < 3; i++) expect(await post(http, server.port)).toMatchObject({ status: 200, headers: { "x-amzn-requestid": "r1" } });
    expect(seen).toEqual(Array(3).fill("POST /prod/@connections/abc%3D 7"));
    expect(server.connections()).toBe(1);
  });

  it("reads node:http's chunked answers", async () => {
    const server = await httpServer((_request, response) => {
      response.writeHead(500, { "content-type": "application/json" });
      response.write('{"message":');
      setTimeout(() => response.end('"later"}'), 5);
    });
    const answer = await post(client(server.port), server.port);
    expect(answer.headers["transfer-encoding"]).toBe("chunked");
    expect(answer.body.toString()).toBe('{"message":"later"}');
  });

  it("opens a new connection after an answer that closes its own", async () => {
    const server = await httpServer((_request, response) => response.writeHead(200, { connection: "close" }).end());
    const http = client(server.port);
    await post(http, server.port);
    await post(http, server.port);
    expect(server.connections()).toBe(2);
  });

  it("drops an idle connection the server closed, and the next request opens a new one without an error", async () => {
    const server = await rawServer((socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    const http = client(server.port);
    await post(http, server.port);
    // Let the close arrive: the pool hears it before anyone reuses the connection.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await post(http, server.port)).status).toBe(200);
    expect(server.connections()).toBe(2);
  });

  it("closes a connection idle for idleMs", async () => {
    let closed = 0;
    const server = await rawServer((socket) => {
      socket.once("close", () => (closed += 1));
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    await post(client(server.port, { idleMs: 50 }), server.port);
    await waitFor(() => closed === 1);
  });

  it("fails a request whose connection closes before the answer with socket hang up (ECONNRESET)", async () => {
    const server = await rawServer((socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhal"));
    await expect(post(client(server.port), server.port)).rejects.toMatchObject({ message: "socket hang up", code: "ECONNRESET" });
  });

  it("fails with ECONNREFUSED when nothing listens", async () => {
    // A port that was just free: listened on, then closed.
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(post(client(port), port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("ends an exchange that takes longer than its timeout with a TimeoutError, and closes that connection", async () => {
    const server = await rawServer(() => undefined);
    const http = client(server.port);
    await expect(post(http, server.port, "x", 50)).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("drops a connection whose server sends bytes nobody asked for, and carries on with a new one", async () => {
    const server = await rawServer((socket, _text, index) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      if (index === 0) setTimeout(() => socket.write("HTTP/1.1 200 OK\r\n\r\n"), 10);
    });
    const http = client(server.port);
    await post(http, server.port);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await post(http, server.port)).status).toBe(200);
    expect(server.connections()).toBe(2);
  });

  it("waits for a connection beyond maxSockets instead of opening more", async () => {
    const server = await httpServer((_request, response) => setTimeout(() => response.writeHead(200).end(), 10));
    const http = client(server.port, { maxSockets: 1 });
    const answers = await Promise.all([post(http, server.port), post(http, server.port), post(http, server.port)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(server.connections()).toBe(1);
  });

  it("refuses a header value or a path that would split the request", async () => {
    const http = client(1);
    await expect(http.request("POST", "/a", { "x-a": "1\r\nx-b: 2" }, Buffer.alloc(0), 1000)).rejects.toThrow(TypeError);
    await expect(http.request("POST", "/a\r\nX: y", {}, Buffer.alloc(0), 1000)).rejects.toThrow(TypeError);
  });

  it("speaks TLS to an https origin, checking its certificate", async () => {
    const server = createHttpsServer({ cert: CERT, key: KEY }, (request, response) => {
      request.resume();
      request.on("end", () => response.writeHead(200, { "x-tls": String((request.socket as { encrypted?: boolean }).encrypted) }).end("secure"));
    });
    const port = await listen(server);
    const trusting = new Http1Client({ protocol: "https:", hostname: "localhost", port, tls: { ca: CERT } }, { maxSockets: 5, idleMs: 4000 });
    onTestFinished(() => trusting.destroy());
    const answer = await post(trusting, port);
    expect(answer).toMatchObject({ status: 200, headers: { "x-tls": "true" } });
    expect(answer.body.toString()).toBe("secure");
    // Without the CA, the self-signed certificate is refused: the platform's checks are on.
    const wary = new Http1Client({ protocol: "https:", hostname: "localhost", port }, { maxSockets: 5, idleMs: 4000 });
    onTestFinished(() => wary.destroy());
    await expect(post(wary, port)).rejects.toMatchObject({ code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY/) });
  });
});
