import { describe, expect, it } from "vitest";
import { useTestCloud } from "../helpers/local-cloud.js";

describe("local cloud server", () => {
  it("listens on loopback on an ephemeral port and answers its health check", async () => {
    const cloud = await useTestCloud();
    expect(cloud.host).toBe("127.0.0.1");
    expect(cloud.port).toBeGreaterThan(0);
    const response = await fetch(`${cloud.url}/_wsq/health`);
    expect(response.status).toBe(200);
    const health = (await response.json()) as { service: string; url: string; pid: number };
    expect(health).toMatchObject({ service: "wsq-local", url: cloud.url, pid: process.pid });
  });
});
