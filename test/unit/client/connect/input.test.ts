import { describe, expect, it } from "vitest";
import { classifyLine, isUnterminatedJson } from "../../../../src/client/connect/input.js";
import { isSecretLine } from "../../../../src/client/connect/history.js";
import { describeCloseCode } from "../../../../src/client/common/close-codes.js";
import { percentile } from "../../../../src/client/common/percentiles.js";
import { parseHeaders, validateWebSocketUrl } from "../../../../src/client/common/websocket-target.js";
import { reconnectDelayMs, RECONNECT_CAP_MS } from "../../../../src/client/connect/session.js";

describe("classifyLine", () => {
  it("sends valid JSON as typed and refuses JSON-looking lines that do not parse", () => {
    expect(classifyLine('{"action":"send","data":1}', { commands: true })).toMatchObject({ kind: "json", frame: '{"action":"send","data":1}' });
    expect(classifyLine('{"a":1,}', { commands: true }).kind).toBe("bad-json");
    expect(classifyLine("[1, 2", { commands: true }).kind).toBe("bad-json");
  });

  it("treats other lines, JSON scalars included, as text, and slash words as commands only when asked", () => {
    expect(classifyLine("hello world", { commands: true })).toEqual({ kind: "text", text: "hello world" });
    expect(classifyLine("42", { commands: true }).kind).toBe("text");
    expect(classifyLine("/group  orders", { commands: true })).toEqual({ kind: "command", name: "group", args: "orders" });
    expect(classifyLine("/stats", { commands: false }).kind).toBe("text");
    expect(classifyLine("/ leading slash and space", { commands: true }).kind).toBe("text");
    expect(classifyLine("   ", { commands: true }).kind).toBe("empty");
  });
});

describe("isUnterminatedJson", () => {
  it("counts brackets outside strings only", () => {
    expect(isUnterminatedJson('{"a": [1,')).toBe(true);
    expect(isUnterminatedJson('{"a": "}"')).toBe(true);
    expect(isUnterminatedJson('{"a": "\\"}"}')).toBe(false);
    expect(isUnterminatedJson('{"a":1}}')).toBe(false);
    expect(isUnterminatedJson('{"a": "open')).toBe(false);
    expect(isUnterminatedJson("hello {")).toBe(false);
  });
});

describe("history secrets", () => {
  it("keeps credentials and space-prefixed lines off disk", () => {
    expect(isSecretLine(' {"data":"x"}')).toBe(true);
    expect(isSecretLine('{"Authorization":"Bearer abc"}')).toBe(true);
    expect(isSecretLine("my api_key is 123")).toBe(true);
    expect(isSecretLine("hello")).toBe(false);
  });
});

describe("shared client helpers", () => {
  it("names API Gateway's close codes", () => {
    expect(describeCloseCode(1009)).toMatch(/message too big/);
    expect(describeCloseCode(1006)).toMatch(/abnormal/);
    expect(describeCloseCode(1001)).toMatch(/going away/);
    expect(describeCloseCode(4001)).toMatch(/application/);
  });

  it("picks nearest-rank percentiles", () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
  });

  it("parses headers and refuses non-WebSocket URLs with exit code 2", () => {
    expect(parseHeaders(["Authorization: Bearer a:b", "X-Trace:1"])).toEqual({ Authorization: "Bearer a:b", "X-Trace": "1" });
    expect(() => parseHeaders(["no colon"])).toThrow(/KEY:VALUE/);
    expect(() => validateWebSocketUrl("https://x.example/prod")).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/wss:\/\/x.example\/prod/) }),
    );
    expect(validateWebSocketUrl("wss://x.example/prod")).toBe("wss://x.example/prod");
  });

  it("backs off exponentially with jitter up to a cap", () => {
    expect(reconnectDelayMs(1, () => 0)).toBe(250);
    expect(reconnectDelayMs(1, () => 1)).toBe(500);
    expect(reconnectDelayMs(3, () => 1)).toBe(2000);
    expect(reconnectDelayMs(30, () => 1)).toBe(RECONNECT_CAP_MS);
    expect(reconnectDelayMs(30, () => 0)).toBe(RECONNECT_CAP_MS / 2);
  });
});
