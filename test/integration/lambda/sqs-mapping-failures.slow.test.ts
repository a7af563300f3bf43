/**
 * Failures through the SQS event source mapping (FIFO): partial batch responses, malformed
 * responses, and handlers that throw, crash, exit or time out, each retried after the queue's
 * visibility timeout and moved to the DLQ by the queue's redrive policy.
 */
import { describe, expect, it } from "vitest";
import { CreateQueueCommand, SendMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { useTestCloud } from "../../helpers/local-cloud.js";
import { clients, createFunction, fifoQueueWithDlq, mapQueue, receiveAll } from "./helpers.js";
import { reportingHandler, reports } from "./reporting.js";

describe("SQS event source mapping failures (FIFO)", () => {
  it("partial batch failure: the failed message is retried before the rest of its group; a poison message goes to the DLQ after maxReceiveCount", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const report = await sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
    const { queueUrl, queueArn, dlqUrl } = await fifoQueueWithDlq(sqs, "partial", { maxReceiveCount: 3, visibilityTimeout: 2 });
    // FIFO handlers stop at the first failure of a group and report it and everything after it.
    const behaviour = `
      const failed = new Set();
      const batchItemFailures = [];
      for (const r of event.Records) {
        const group = r.attributes.MessageGroupId;
        const fails = failed.has(group) || r.body === "poison" || (r.body === "flaky" && r.attributes.ApproximateReceiveCount === "1");
        if (fails) { failed.add(group); batchItemFailures.push({ itemIdentifier: r.messageId }); }
      }
      return { batchItemFailures };`;
    await createFunction(
      lambda,
      "partial",
      { "index.js": reportingHandler(behaviour) },
      { Timeout: 2, Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl! } } },
    );
    await mapQueue(lambda, "partial", queueArn, { batchSize: 10, maximumConcurrency: 2, reportBatchItemFailures: true });

    for (const [group, bodies] of [
      ["a", ["a1", "flaky", "a3"]],
      ["b", ["poison"]],
      ["c", ["c1", "c2"]],
    ] as const) {
      for (const [index, body] of bodies.entries()) {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: `${group}${index}` }));
      }
    }
    const dead = await receiveAll(sqs, dlqUrl, 1);
    expect(dead.map((m) => m.Body)).toEqual(["poison"]);
    // a: a1 once, flaky twice (fails, then succeeds), a3 only after flaky succeeded; c untouched by the failures.
    const seen = await reports(sqs, report.QueueUrl!, 1 + 2 + 2 + 3 + 2);
    const timeline = seen.sort((x, y) => x.start - y.start).flatMap((batch) => batch.records);
    const of = (group: string) => timeline.filter((r) => r.group === group).map((r) => `${r.body}#${r.receiveCount}`);
    expect(of("a")).toEqual(["a1#1", "flaky#1", "a3#1", "flaky#2", "a3#2"]);
    expect(of("b")).toEqual(["poison#1", "poison#2", "poison#3"]);
    expect(of("c")).toEqual(["c1#1", "c2#1"]);
    expect(await receiveAll(sqs, queueUrl, 1, 1_500)).toEqual([]);
  });

  it("a malformed batch response fails the whole batch", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const report = await sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
    const { queueUrl, queueArn } = await fifoQueueWithDlq(sqs, "malformed", { maxReceiveCount: 5, visibilityTimeout: 2 });
    const behaviour = `if (event.Records[0].attributes.ApproximateReceiveCount === "1") return { batchItemFailures: [{ itemIdentifier: "not-a-message-of-this-batch" }] }; return {};`;
    await createFunction(
      lambda,
      "malformed",
      { "index.js": reportingHandler(behaviour) },
      { Timeout: 2, Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl! } } },
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ["m1", "m2", "m3"].map((body) => ({ Id: body, MessageBody: body, MessageGroupId: "only", MessageDeduplicationId: body })),
      }),
    );
    await mapQueue(lambda, "malformed", queueArn, { reportBatchItemFailures: true });
    const seen = await reports(sqs, report.QueueUrl!, 6);
    const timeline = seen.sort((x, y) => x.start - y.start).flatMap((batch) => batch.records.map((r) => `${r.body}#${r.receiveCount}`));
    expect(timeline).toEqual(["m1#1", "m2#1", "m3#1", "m1#2", "m2#2", "m3#2"]);
    expect(await receiveAll(sqs, queueUrl, 1, 1_500)).toEqual([]);
  });

  it("a throwing, crashing, exiting and timing-out handler each lead to retries and then the DLQ; other groups and the cloud carry on", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const report = await sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
    // Visibility 4 s, twice the function's timeout: a batch's wait for an environment runs on its
    // visibility timeout, and on a loaded machine a wait plus a cold start took the healthy
    // message past 2 s, so SQS rightly delivered it again (fine#2): at-least-once, not a failure
    // of the rule checked here.
    const { queueUrl, queueArn, dlqUrl } = await fifoQueueWithDlq(sqs, "failing", { maxReceiveCount: 2, visibilityTimeout: 4 });
    const behaviour = `
      const body = event.Records[0].body;
      if (body === "throw") throw new Error("boom");
      if (body === "exit") process.exit(1);
      if (body === "crash") { setTimeout(() => { throw new Error("crash"); }); await pause(5000); }
      if (body === "loop") for (;;) {}
      return {};`;
    // 2 s, not 1: a healthy invocation on a loaded 2-core CI machine must not time out.
    await createFunction(
      lambda,
      "failing",
      { "index.js": reportingHandler(behaviour) },
      { Timeout: 2, Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl! } } },
    );
    await mapQueue(lambda, "failing", queueArn, { batchSize: 1, maximumConcurrency: 5 });
    for (const body of ["throw", "exit", "crash", "loop", "fine"]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: body, MessageDeduplicationId: body }));
    }
    const dead = await receiveAll(sqs, dlqUrl, 4);
    expect(dead.map((m) => m.Body).sort()).toEqual(["crash", "exit", "loop", "throw"]);
    const seen = (await reports(sqs, report.QueueUrl!, 9)).flatMap((batch) => batch.records.map((r) => `${r.body}#${r.receiveCount}`));
    expect(seen.sort()).toEqual(["crash#1", "crash#2", "exit#1", "exit#2", "fine#1", "loop#1", "loop#2", "throw#1", "throw#2"]);
    expect(await receiveAll(sqs, queueUrl, 1, 1_500)).toEqual([]);
  });
});
