import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Chalk } from "chalk";
import { describe, expect, test } from "vitest";
import { CHECKS, evaluateChecks, type CheckOutcome } from "../../../src/verify/checks.js";
import type { VerifyObservations } from "../../../src/verify/observations.js";
import { renderVerifyReport } from "../../../src/verify/render.js";
import type { VerifyReport } from "../../../src/verify/run-verify.js";

// The judgement of `wsq verify` (pure), fed with observations recorded by a real run on the local
// target (every assumption held there), and with that record changed the way AWS could differ.

const recorded = JSON.parse(readFileSync(join(import.meta.dirname, "../../fixtures/verify/local-observations.json"), "utf8")) as VerifyObservations;

/** A deep copy of the recorded observations with `change` applied, as if AWS had answered so. */
function observed(change: (o: VerifyObservations) => void = () => {}): VerifyObservations {
  const copy = structuredClone(recorded);
  change(copy);
  return copy;
}

function outcome(observations: VerifyObservations, id: string): CheckOutcome {
  const found = evaluateChecks(observations).find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
}

describe("wsq verify's checks, judged from recorded observations", () => {
  test("every assumption held in the recorded local run, and each check names its ledger entry", () => {
    const checks = evaluateChecks(recorded);
    expect(checks.filter((c) => !c.held)).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
    for (const check of checks) {
      expect(check.ledger.length, check.id).toBeGreaterThan(0);
      for (const entry of check.ledger) {
        // The ledger entry exists: the docs file has a heading of that name.
        const doc = readFileSync(join(import.meta.dirname, "../../..", entry.doc), "utf8");
        expect(doc, `${check.id}: ${entry.doc} § ${entry.section}`).toMatch(new RegExp(`^#+ ${entry.section.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
      }
    }
  });

  test.each<[string, (o: VerifyObservations) => void, RegExp]>([
    [
      "queue-high-throughput",
      (o) => {
        o.queueAttributes!.DeduplicationScope = "queue";
        o.queueAttributes!.FifoThroughputLimit = "perQueue";
      },
      /DeduplicationScope=queue, FifoThroughputLimit=perQueue/,
    ],
    ["queue-high-throughput", (o) => ((o.queueAttributes = null), (o.queueAttributesError = "AccessDenied")), /GetQueueAttributes failed: AccessDenied/],
    ["queue-visibility-redrive", (o) => (o.queueAttributes!.VisibilityTimeout = "30"), /VisibilityTimeout=30 with a function timeout of 15 s/],
    // An AWS that restored the original deduplication id on a redrive, or kept the original SentTimestamp.
    ["redrive-deduplication-id", (o) => (o.redrive!.redriven!.deduplicationId = o.redrive!.requestId), /redriven as message .* with deduplication id "verify-/],
    ["redrive-deduplication-id", (o) => (o.redrive!.redriven!.requestIdAttribute = null), /requestId attribute null/],
    ["redrive-deduplication-id", (o) => (o.redrive!.error = "AccessDenied: sqs:CreateQueue"), /could not observe a redrive: AccessDenied/],
    ["redrive-deduplication-id", (o) => delete o.redrive, /not observed/],
    ["redrive-sent-timestamp", (o) => (o.redrive!.redriven!.sentTimestamp = o.redrive!.original!.sentTimestamp), /SentTimestamp 0 ms after the original's/],
    ["redrive-sent-timestamp", (o) => (o.redrive!.redriven!.receiveCount = 3), /receive count 3/],
    ["queue-visibility-redrive", (o) => (o.deadLetterQueueArn = "arn:aws:sqs:eu-west-1:123456789012:other.fifo"), /RedrivePolicy/],
    // A lenient $input.path on AWS would have let `{…` frames pass; a stricter one might fail plain text too.
    [
      "frame-not-json",
      (o) => Object.assign(o.frames.nonJson, { outcome: "error", errorMessage: "Internal server error", errorKeys: ["connectionId", "message", "requestId"] }),
      /error frame "Internal server error"/,
    ],
    ["group-numeric", (o) => (o.frames.numericGroup.group = "1.234567E6"), /queued in group "1.234567E6"/],
    ["group-punctuated", (o) => (o.frames.punctuatedGroup.group = "verify"), /queued in group "verify"/],
    [
      "frame-brace-not-json",
      (o) =>
        (o.frames.braceNotJson = {
          sent: "{wsq verify: not json",
          outcome: "result",
          group: "abc=",
          groupIsConnectionId: true,
          data: "{wsq verify: not json",
          id: null,
          waitedMs: 80,
        }),
      /queued in the connection's own group/,
    ],
    ["frame-brace-not-json", (o) => Object.assign(o.frames.braceNotJson, { outcome: "none", waitedMs: 30_000 }), /nothing came back within 30 s/],
    [
      "quota-at-boundary",
      (o) => Object.assign(o.bursts.atQuota, { answered: 290, throttledAtQueue: 10 }),
      /290 of 300 answered, 10 throttled at the queue \(paced at 300\/s/,
    ],
    // AWS with no burst allowance: paced 20% above the quota, a sixth of the frames would be refused.
    [
      "quota-burst-allowance",
      (o) => Object.assign(o.bursts.pacedAbove, { answered: 600, throttledAtQueue: 120 }),
      /600 of 720 answered, 120 throttled at the queue/,
    ],
    ["quota-above", (o) => Object.assign(o.bursts.aboveQuota, { answered: 900, throttledAtQueue: 0, errorFrames: [] }), /900 of 900 answered/],
    ["quota-above", (o) => Object.assign(o.bursts.aboveQuota, { lost: 3, answered: o.bursts.aboveQuota.answered - 3 }), /3 lost/],
    ["quota-above", (o) => Object.assign(o.bursts.aboveQuota, { throttledAtStage: 5 }), /5 throttled by the stage/],
    // What a one-way route answers a throttled frame with is not documented: another shape breaks the assumption.
    [
      "throttle-error-frame",
      (o) => (o.bursts.aboveQuota.errorFrames = [{ message: "Request is throttled", keys: ["message"], count: o.bursts.aboveQuota.throttledAtQueue }]),
      /× "Request is throttled" \(members message\)/,
    ],
    ["throttle-error-frame", (o) => (o.bursts.aboveQuota.errorFrames = []), /no error frame arrived/],
    ["order-sequence", (o) => (o.bursts.together.orderViolations = 2), /2 out of order/],
    ["order-sequence", (o) => (o.bursts.atQuota.duplicated = 1), /1 duplicated/],
    ["order-before-queue", (o) => Object.assign(o.bursts.together, { answered: 0, lost: 50 }), /could not measure: 0 of 50 answered, 50 lost/],
    ["dlq-untouched", (o) => (o.dlqDepthAfter = (o.dlqDepthBefore ?? 0) + 4), /depth 0 before, 4 after/],
    ["dlq-untouched", (o) => (o.dlqDepthBefore = null), /depth \? before/],
    ["function-logs", (o) => (o.logs.reportFields = ["Duration", "Memory Size"]), /REPORT without Billed Duration, Max Memory Used/],
    ["function-logs", (o) => (o.logs.errorLines = ["2026-12-06T10:00:00.000Z\tabc\tERROR\tboom"]), /errors: .*boom/],
    ["function-logs", (o) => Object.assign(o.logs, { error: "ResourceNotFoundException: log group does not exist" }), /could not read the logs/],
  ])("%s does not hold when AWS answers otherwise (%#)", (id, change, seen) => {
    expect(outcome(recorded, id).held).toBe(true);
    const changed = outcome(observed(change), id);
    expect(changed.held).toBe(false);
    expect(changed.seen).toMatch(seen);
  });

  test("a measurement holds whatever figure it takes: AWS not reordering at all, or reordering everything", () => {
    for (const reordered of [0, 49]) {
      const check = outcome(
        observed((o) => (o.bursts.together.reorderedBeforeQueue = reordered)),
        "order-before-queue",
      );
      expect(check).toMatchObject({ kind: "measurement", held: true, seen: `${reordered} of 50 reached the queue out of send order` });
    }
  });

  test("observations the judgement cannot read make the check fail, not the command crash", () => {
    const broken = observed((o) => ((o.bursts as unknown as Record<string, unknown>).together = undefined));
    const checks = evaluateChecks(broken);
    expect(checks.find((c) => c.id === "order-before-queue")).toMatchObject({ held: false, seen: expect.stringMatching(/could not be judged/) });
    expect(checks.find((c) => c.id === "frame-not-json")?.held).toBe(true);
  });
});

describe("the verify report as text", () => {
  const plain = new Chalk({ level: 0 });
  function report(observations: VerifyObservations, target: "aws" | "local" = "aws"): VerifyReport {
    const checks = evaluateChecks(observations);
    return {
      version: 1,
      target,
      region: "eu-west-1",
      stackName: "wsq-verify",
      deployed: { stack: true, assets: false },
      removed: ["wsq-verify"],
      cleanupError: null,
      startedAt: "2026-12-06T10:00:00.000Z",
      durationMs: 61_000,
      checks,
      ok: checks.every((c) => c.held),
      observations,
    };
  }

  test("each check with expected, seen and its ledger entry; what did not hold and how to report it", () => {
    const text = renderVerifyReport(report(observed((o) => Object.assign(o.bursts.pacedAbove, { answered: 600, throttledAtQueue: 120 }))), plain);
    expect(text).toContain("wsq verify: stack wsq-verify on aws, eu-west-1 (61.0 s)");
    expect(text).toMatch(/✗ A message group paced 20% above its quota for two seconds is not throttled/);
    expect(text).toMatch(/expected {2}all 720 \(360\/s for 2 s\) answered, none throttled/);
    expect(text).toMatch(/seen {6}600 of 720 answered, 120 throttled at the queue/);
    expect(text).toMatch(/ledger {4}docs\/sqs\.md § FIFO throughput quotas/);
    expect(text).toMatch(/✓ A numeric MessageGroupId becomes its text/);
    expect(text).toMatch(/i How often frames sent together on one connection reach the queue out of send order/);
    expect(text).toContain("1 of 16 did not hold: quota-burst-allowance.");
    expect(text).toContain("please report it, with the output of `wsq verify --target aws --json`");
    expect(text).toContain("Removed what verify created: wsq-verify.");
  });

  test("says when every assumption held, and notes a local cloud that runs unlike AWS", () => {
    const text = renderVerifyReport(
      report(
        observed((o) => (o.local = { quotas: true, orderedFrames: true })),
        "local",
      ),
      plain,
    );
    expect(text).toContain("Every assumption held on the local target (16 checks).");
    expect(text).toContain("note: this local cloud runs with --ordered-frames, which AWS does not do");
  });
});

describe("nothing in verify's code path is local-only", () => {
  test("no loopback address, local port, local path or local-cloud module: every URL comes from the stack's outputs", () => {
    const dir = join(import.meta.dirname, "../../../src/verify");
    for (const file of readdirSync(dir)) {
      const source = readFileSync(join(dir, file), "utf8");
      expect(source, file).not.toMatch(/127\.0\.0\.1|localhost|\b4510\b|_aws\/execute-api|000000000000/);
      expect(source, file).not.toMatch(/from "\.\.\/local\//);
    }
  });
});
