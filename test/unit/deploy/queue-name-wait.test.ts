import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { QUEUE_NAME_REUSE_MS, namedQueues, queueNamesFreeAt, type NamedQueues } from "../../../src/deploy/queue-name-wait.js";

const now = 1_800_000_000_000;
const url = (name: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`;
const event = (type: string, status: string, agoMs: number, name = "wsq-requests.fifo") => ({
  ResourceType: type,
  ResourceStatus: status as never,
  Timestamp: new Date(now - agoMs),
  PhysicalResourceId: url(name),
});
const oldNames: NamedQueues = { names: new Set(["wsq-requests.fifo", "wsq-dead-letters.fifo"]), unresolved: false };

describe("when SQS takes the names of a deleted stack's queues again", () => {
  it("is a minute (and a second of margin) after the last deletion of a queue the template names", () => {
    const events = [
      event("AWS::SQS::Queue", "DELETE_COMPLETE", 10_000, "wsq-dead-letters.fifo"),
      event("AWS::SQS::Queue", "DELETE_COMPLETE", 30_000, "wsq-requests.fifo"),
    ];
    expect(queueNamesFreeAt(events, now, oldNames)).toBe(now - 10_000 + QUEUE_NAME_REUSE_MS + 1_000);
  });

  it("is nothing to wait for once that minute has passed, or when no queue was deleted", () => {
    expect(queueNamesFreeAt([event("AWS::SQS::Queue", "DELETE_COMPLETE", 61_001)], now, oldNames)).toBeUndefined();
    expect(
      queueNamesFreeAt([event("AWS::SQS::Queue", "DELETE_IN_PROGRESS", 5_000), event("AWS::SQS::Queue", "CREATE_COMPLETE", 5_000)], now, oldNames),
    ).toBeUndefined();
    expect(queueNamesFreeAt([event("AWS::Lambda::Function", "DELETE_COMPLETE", 5_000)], now, oldNames)).toBeUndefined();
    expect(queueNamesFreeAt([{ ResourceType: "AWS::SQS::Queue", ResourceStatus: "DELETE_COMPLETE", Timestamp: undefined }], now, oldNames)).toBeUndefined();
    expect(queueNamesFreeAt([], now, oldNames)).toBeUndefined();
  });

  it("ignores deleted queues whose names the new template does not use (CloudFormation's generated names)", () => {
    const generated = [event("AWS::SQS::Queue", "DELETE_COMPLETE", 5_000, "wsq-Queue-ABCDEF123456.fifo")];
    expect(queueNamesFreeAt(generated, now, oldNames)).toBeUndefined();
    expect(queueNamesFreeAt(generated, now, { names: new Set(), unresolved: false })).toBeUndefined();
    // A name the client cannot work out counts every recently deleted queue.
    expect(queueNamesFreeAt(generated, now, { names: new Set(), unresolved: true })).toBe(now - 5_000 + QUEUE_NAME_REUSE_MS + 1_000);
  });
});

describe("the queue names a template sets", () => {
  it("are none for the shipped template: CloudFormation names its queues", () => {
    const shipped = readFileSync(join(import.meta.dirname, "..", "..", "..", "templates", "wsq.yaml"), "utf8");
    expect(namedQueues(shipped, "wsq")).toEqual({ names: new Set(), unresolved: false });
  });

  it("are resolved from literals, !Sub and !Join over the stack name (the earlier template's form)", () => {
    const template = `
Resources:
  A: { Type: AWS::SQS::Queue, Properties: { QueueName: !Sub "\${AWS::StackName}-requests.fifo", FifoQueue: true } }
  B: { Type: AWS::SQS::Queue, Properties: { QueueName: !Join ["-", [!Ref AWS::StackName, dead.fifo]] } }
  C: { Type: AWS::SQS::Queue, Properties: { QueueName: fixed } }
  D: { Type: AWS::SQS::Queue, Properties: {} }
  E: { Type: AWS::Lambda::Function, Properties: { FunctionName: !Sub "\${AWS::StackName}-handler" } }
`;
    expect(namedQueues(template, "shop")).toEqual({ names: new Set(["shop-requests.fifo", "shop-dead.fifo", "fixed"]), unresolved: false });
  });

  it("are unresolved when a name depends on what only CloudFormation knows", () => {
    const template = `
Parameters: { Name: { Type: String } }
Resources:
  A: { Type: AWS::SQS::Queue, Properties: { QueueName: !Ref Name } }
  B: { Type: AWS::SQS::Queue, Properties: { QueueName: !Sub "\${AWS::Region}-q" } }
`;
    expect(namedQueues(template, "shop")).toEqual({ names: new Set(), unresolved: true });
    expect(namedQueues("{ not: [yaml", "shop").unresolved).toBe(true);
  });
});
