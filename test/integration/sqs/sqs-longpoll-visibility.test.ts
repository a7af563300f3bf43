import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";

describe("a long poll that outlasts SetQueueAttributes", () => {
  it("hides the message for the queue's visibility timeout at delivery, not at the start of the poll", async () => {
    const cloud = await useTestCloud();
    const sqs = new SQSClient(sdkConfig(cloud));
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "lp.fifo", Attributes: { FifoQueue: "true", VisibilityTimeout: "600" } }));
      // A consumer is already waiting (as Lambda's pollers always are) when the timeout drops to 1 s.
      const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: "1" } }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "m", MessageGroupId: "g", MessageDeduplicationId: "d" }));
      const first = await polling;
      expect(first.Messages?.[0]?.Body).toBe("m");
      // With 600 s this second poll would come back empty after its 5 s wait.
      const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }));
      expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe("2");
    } finally {
      sqs.destroy();
    }
  });
});
