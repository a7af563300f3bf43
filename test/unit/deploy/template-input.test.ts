import { describe, expect, it } from "vitest";
import { StackProgress } from "../../../src/deploy/progress.js";
import { PATTERN_TEMPLATE, loadTemplate, parseParameterFlags, validateStackName } from "../../../src/deploy/template.js";
import type { ResourceEvent } from "../../../src/deploy/events.js";

const template = loadTemplate(PATTERN_TEMPLATE).parsed;

describe("parseParameterFlags", () => {
  it("accepts values within the template's constraints", () => {
    expect(parseParameterFlags(["BatchSize=5", "FunctionTimeoutSeconds=30", "StageName=dev", "MaximumConcurrency=2"], template)).toEqual({
      BatchSize: "5",
      FunctionTimeoutSeconds: "30",
      StageName: "dev",
      MaximumConcurrency: "2",
    });
  });

  it.each([
    ["BatchSize", "not KEY=VALUE"],
    ["=5", "not KEY=VALUE"],
    ["Unknown=1", 'no parameter "Unknown"'],
    ["AssetBucket=b", "set by wsq itself"],
    ["BatchSize=0", "at least 1"],
    ["BatchSize=11", "at most 10"],
    ["BatchSize=ten", "must be a number"],
    ["MaximumConcurrency=1", "at least 2"],
    ["MaxReceiveCount=4", "at least 5"],
    ["FunctionTimeoutSeconds=20", "must be one of"],
    ["StageName=has space", "must match"],
  ])("rejects %s (%s)", (flag, message) => {
    expect(() => parseParameterFlags([flag], template)).toThrow(message);
  });
});

describe("validateStackName", () => {
  it("accepts names whose derived resource names fit AWS's limits", () => {
    expect(validateStackName("wsq")).toBe("wsq");
    expect(validateStackName(`a${"b".repeat(49)}`)).toHaveLength(50);
  });
  it.each(["", "1abc", "with_underscore", "a".repeat(51), "wsq-assets"])("rejects %j", (name) => {
    expect(() => validateStackName(name)).toThrow();
  });
});

describe("StackProgress", () => {
  let n = 0;
  const event = (logicalId: string, status: string, reason?: string, resourceType = "AWS::SQS::Queue"): ResourceEvent => ({
    eventId: String((n += 1)),
    timestamp: new Date(n),
    logicalId,
    resourceType,
    status,
    reason,
  });

  it("counts resources done, lists those in progress and keeps causes, not consequences", () => {
    const p = new StackProgress("wsq", 3);
    p.apply(event("wsq", "CREATE_IN_PROGRESS", "User Initiated", "AWS::CloudFormation::Stack"));
    p.apply(event("A", "CREATE_IN_PROGRESS"));
    p.apply(event("B", "CREATE_IN_PROGRESS"));
    expect(p.snapshot()).toEqual({ done: 0, total: 3, inProgress: ["A", "B"], failures: [] });
    p.apply(event("A", "CREATE_COMPLETE"));
    p.apply(event("B", "CREATE_FAILED", "Access denied"));
    p.apply(event("C", "CREATE_FAILED", "Resource creation cancelled"));
    p.apply(event("wsq", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [B, C].", "AWS::CloudFormation::Stack"));
    const snapshot = p.snapshot();
    expect(snapshot.done).toBe(3);
    expect(snapshot.inProgress).toEqual([]);
    expect(snapshot.failures).toEqual([{ logicalId: "B", resourceType: "AWS::SQS::Queue", status: "CREATE_FAILED", reason: "Access denied" }]);
  });

  it("falls back to the stack's own reason when no resource gave one, and grows the total when needed", () => {
    const p = new StackProgress("wsq", 1);
    p.apply(event("A", "UPDATE_COMPLETE"));
    p.apply(event("B", "UPDATE_COMPLETE"));
    p.apply(event("wsq", "UPDATE_FAILED", "Template error", "AWS::CloudFormation::Stack"));
    expect(p.snapshot()).toMatchObject({ done: 2, total: 2, failures: [{ logicalId: "wsq", reason: "Template error" }] });
  });
});
