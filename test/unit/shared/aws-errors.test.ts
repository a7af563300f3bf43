import { describe, expect, it } from "vitest";
import { translateAwsError } from "../../../src/shared/aws-errors.js";
import { WsqError } from "../../../src/shared/errors.js";

function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("translateAwsError", () => {
  it("names an endpoint that refuses connections, and how to start the local cloud", () => {
    const translated = translateAwsError(networkError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:4510"));
    expect(translated).toBeInstanceOf(WsqError);
    expect(translated?.message).toMatch(/^Nothing answers at the endpoint/);
    expect(translated?.hint).toContain("wsq local start");
  });

  it("names an endpoint that dropped the connection mid-request (the local cloud killed under a command)", () => {
    for (const error of [networkError("ECONNRESET", "read ECONNRESET"), new Error("socket hang up")]) {
      const translated = translateAwsError(error);
      expect(translated?.message).toMatch(/^The endpoint dropped the connection mid-request/);
      expect(translated?.hint).toContain("wsq local status");
    }
  });

  it("leaves what it does not recognise to the caller", () => {
    expect(translateAwsError(new Error("ValidationError: something specific"))).toBeUndefined();
    expect(translateAwsError("not an error")).toBeUndefined();
  });
});
