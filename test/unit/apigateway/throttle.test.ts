import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../../src/local/apigateway/throttle.js";

describe("TokenBucket (stage and account throttling)", () => {
  it("allows the burst at once, then refills at the rate, never above the burst", () => {
    let now = 1_000_000;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now += 100; // one token at 10/s
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now += 60_000; // a long pause saves up only the burst
    expect(Array.from({ length: 5 }, () => bucket.take())).toEqual([true, true, true, false, false]);
  });
});
