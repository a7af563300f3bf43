// The FIFO throughput buckets with an injected clock: no HTTP, no waiting.
import { describe, expect, it } from "vitest";
import { FifoThroughput, fifoQuotasFor, isHighThroughput, type ThroughputQuotas } from "../../../src/local/sqs/throughput.js";

function harness(quotas: ThroughputQuotas = fifoQuotasFor("us-east-1")) {
  const clock = { t: 1_800_000_000_000, now: () => clock.t };
  return { buckets: new FifoThroughput(quotas, clock), advance: (ms: number) => (clock.t += ms) };
}

/** How many of `n` charges at one instant are admitted. */
function admitted(n: number, charge: () => unknown): number {
  let count = 0;
  for (let i = 0; i < n; i++) if (charge() === undefined) count++;
  return count;
}

describe("FIFO throughput quotas (token buckets)", () => {
  it("uses AWS's figures: 300 per action, per group in high-throughput mode, and the Region's queue-wide cap", () => {
    expect(fifoQuotasFor("us-east-1")).toEqual({ perQueue: 300, perGroup: 300, highThroughputQueue: 70_000, burstSeconds: 1 });
    expect(fifoQuotasFor("eu-central-1").highThroughputQueue).toBe(19_000);
    expect(fifoQuotasFor("ap-northeast-1").highThroughputQueue).toBe(9_000);
    expect(fifoQuotasFor("af-south-1").highThroughputQueue).toBe(2_400);
  });

  it("admits one second's worth at once, then refuses until the bucket refills at 300 a second", () => {
    const { buckets, advance } = harness();
    expect(admitted(400, () => buckets.charge("q.fifo", "SendMessage", false))).toBe(300);
    expect(buckets.charge("q.fifo", "SendMessage", false)).toEqual({ rate: 300, scope: "queue" });
    advance(3); // 0.9 of a token
    expect(buckets.charge("q.fifo", "SendMessage", false)).toBeDefined();
    advance(1); // 1.2 tokens
    expect(buckets.charge("q.fifo", "SendMessage", false)).toBeUndefined();
    expect(buckets.charge("q.fifo", "SendMessage", false)).toBeDefined();
    advance(100); // 30 tokens and a bit
    expect(admitted(100, () => buckets.charge("q.fifo", "SendMessage", false))).toBe(30);
  });

  it("never saves up more than one second's worth, however long the queue was idle", () => {
    const { buckets, advance } = harness();
    buckets.charge("q.fifo", "SendMessage", false);
    advance(60_000);
    expect(admitted(1000, () => buckets.charge("q.fifo", "SendMessage", false))).toBe(300);
  });

  it("keeps a bucket per queue and per API action", () => {
    const { buckets } = harness();
    expect(admitted(300, () => buckets.charge("a.fifo", "SendMessage", false))).toBe(300);
    expect(buckets.charge("a.fifo", "SendMessage", false)).toBeDefined();
    expect(buckets.charge("b.fifo", "SendMessage", false)).toBeUndefined();
    expect(admitted(300, () => buckets.charge("a.fifo", "ReceiveMessage", false))).toBe(300);
    expect(admitted(300, () => buckets.charge("a.fifo", "DeleteMessage", false))).toBe(300);
    expect(admitted(300, () => buckets.charge("a.fifo", "ChangeMessageVisibility", false))).toBe(300);
  });

  it("counts a batch as one transaction, whatever groups it names, outside high-throughput mode", () => {
    const { buckets } = harness();
    const tenGroups = Array.from({ length: 10 }, (_, i) => `g${i}`);
    expect(admitted(300, () => buckets.charge("q.fifo", "SendMessage", false, tenGroups))).toBe(300);
    expect(buckets.charge("q.fifo", "SendMessage", false, ["other"])).toBeDefined();
  });

  it("in high-throughput mode gives every message group its own 300, and charges a batch to each group it touches", () => {
    const { buckets } = harness();
    expect(admitted(300, () => buckets.charge("q.fifo", "SendMessage", true, ["a"]))).toBe(300);
    expect(buckets.charge("q.fifo", "SendMessage", true, ["a"])).toEqual({ rate: 300, scope: "group", group: "a" });
    expect(admitted(300, () => buckets.charge("q.fifo", "SendMessage", true, ["b"]))).toBe(300);
    // A batch spanning c and d charges each once (its two entries of c count once).
    expect(admitted(150, () => buckets.charge("q.fifo", "SendMessage", true, ["c", "c", "d"]))).toBe(150);
    expect(admitted(300, () => buckets.charge("q.fifo", "SendMessage", true, ["c"]))).toBe(150);
    // A batch touching an exhausted group is refused as a whole and charges none of its groups.
    expect(buckets.charge("q.fifo", "SendMessage", true, ["e", "a"])).toMatchObject({ scope: "group", group: "a" });
    expect(admitted(300, () => buckets.charge("q.fifo", "SendMessage", true, ["e"]))).toBe(300);
  });

  it("caps the whole high-throughput queue at the Region's figure", () => {
    const { buckets } = harness({ perQueue: 300, perGroup: 300, highThroughputQueue: 1000, burstSeconds: 1 });
    let group = 0;
    expect(admitted(1200, () => buckets.charge("q.fifo", "SendMessage", true, [`g${group++ % 10}`]))).toBe(1000);
    expect(buckets.charge("q.fifo", "SendMessage", true, ["fresh"])).toEqual({ rate: 1000, scope: "high-throughput queue" });
    // A receive names no group: only the queue-wide bucket of ReceiveMessage counts.
    expect(admitted(1200, () => buckets.charge("q.fifo", "ReceiveMessage", true))).toBe(1000);
  });

  it("follows the queue's mode call by call, as SetQueueAttributes switches it", () => {
    const { buckets } = harness();
    expect(admitted(300, () => buckets.charge("q.fifo", "SendMessage", false, ["g"]))).toBe(300);
    expect(buckets.charge("q.fifo", "SendMessage", false, ["g"])).toBeDefined();
    // Switched to high throughput: the per-group buckets apply, g and h each have their 300.
    expect(admitted(300, () => buckets.charge("q.fifo", "SendMessage", true, ["g"]))).toBe(300);
    expect(buckets.charge("q.fifo", "SendMessage", true, ["h"])).toBeUndefined();
    // Switched back at the same instant: the queue's own bucket is still empty.
    expect(buckets.charge("q.fifo", "SendMessage", false, ["h"])).toEqual({ rate: 300, scope: "queue" });
  });

  it("recognises high-throughput mode only with both settings", () => {
    expect(isHighThroughput({ DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" })).toBe(true);
    expect(isHighThroughput({ DeduplicationScope: "messageGroup", FifoThroughputLimit: "perQueue" })).toBe(false);
    expect(isHighThroughput({ DeduplicationScope: "queue", FifoThroughputLimit: "perQueue" })).toBe(false);
    expect(isHighThroughput({})).toBe(false);
  });

  it("forgets full buckets, so many message groups do not grow memory without bound", () => {
    const { buckets, advance } = harness();
    for (let i = 0; i < 5000; i++) buckets.charge("q.fifo", "SendMessage", true, [`g${i}`]);
    expect(buckets.size).toBe(5001);
    advance(1000);
    for (let i = 0; i < 4096; i++) buckets.charge("q.fifo", "SendMessage", true, [`hot${i % 20}`]);
    // The 5,000 refilled groups were swept; what remains is the queue-wide bucket and the 20 hot ones.
    expect(buckets.size).toBe(21);
    buckets.forget("q.fifo");
    expect(buckets.size).toBe(0);
  });

  it("refills nothing, and drains nothing, when the clock steps back", () => {
    const { buckets, advance } = harness();
    expect(admitted(300, () => buckets.charge("q.fifo", "SendMessage", false))).toBe(300);
    advance(-5000);
    expect(buckets.charge("q.fifo", "SendMessage", false)).toBeDefined();
    advance(5000 + 1000);
    expect(admitted(400, () => buckets.charge("q.fifo", "SendMessage", false))).toBe(300);
  });
});
