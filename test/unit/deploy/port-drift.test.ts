import { describe, expect, it } from "vitest";
import { assertSamePort, localPortDrift } from "../../../src/deploy/stack-outputs.js";
import type { Target } from "../../../src/shared/target.js";

const local = (endpoint: string | undefined): Target => ({
  kind: "local",
  region: "us-east-1",
  endpoint,
  profile: undefined,
  credentials: undefined,
  dataDir: undefined,
});
const aws: Target = { kind: "aws", region: "eu-west-1", endpoint: undefined, profile: undefined, credentials: undefined, dataDir: undefined };
const deployedOn = (port: number) => ({ WebSocketUrl: `ws://127.0.0.1:${port}/_aws/execute-api/abc123/production` });

describe("a local stack whose URLs name another port than the local cloud's", () => {
  it("is found when the ports differ, and only then", () => {
    expect(localPortDrift(local("http://127.0.0.1:4602"), deployedOn(4601))).toEqual({ deployedPort: 4601, currentPort: 4602 });
    expect(localPortDrift(local("http://127.0.0.1:4601"), deployedOn(4601))).toBeUndefined();
    expect(localPortDrift(local("http://localhost:4602"), { WebSocketUrl: "ws://localhost:4601/x/y" })).toEqual({ deployedPort: 4601, currentPort: 4602 });
  });

  it("is never claimed for AWS, a remote endpoint, a missing endpoint or an unparsable URL", () => {
    expect(localPortDrift(aws, deployedOn(4601))).toBeUndefined();
    expect(localPortDrift(local("http://127.0.0.1:4602"), { WebSocketUrl: "wss://abc123.execute-api.eu-west-1.amazonaws.com/production" })).toBeUndefined();
    expect(localPortDrift(local("http://10.0.0.5:4602"), deployedOn(4601))).toBeUndefined();
    expect(localPortDrift(local(undefined), deployedOn(4601))).toBeUndefined();
    expect(localPortDrift(local("http://127.0.0.1:4602"), { WebSocketUrl: "not a url" })).toBeUndefined();
  });

  it("is refused with both ways out, naming the stack when it is not the default one", () => {
    expect(() => assertSamePort(local("http://127.0.0.1:4601"), "wsq", deployedOn(4601))).not.toThrow();
    let caught: unknown;
    try {
      assertSamePort(local("http://127.0.0.1:4602"), "chat", deployedOn(4601));
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: "STACK_ON_OTHER_PORT" });
    const { message, hint } = caught as { message: string; hint: string };
    expect(message).toContain('Stack "chat" was deployed while the local cloud listened on port 4601; it now listens on 4602');
    expect(hint).toContain("wsq local start --port 4601");
    expect(hint).toContain("wsq destroy --stack-name chat --yes");
    expect(hint).toContain("wsq deploy --stack-name chat");
  });
});
