import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand, type Stack, type StackEvent } from "@aws-sdk/client-cloudformation";
import { SQSClient } from "@aws-sdk/client-sqs";
import { sdkConfig } from "../../helpers/local-cloud.js";
import { eventually } from "../../helpers/eventually.js";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";

export const FIXTURES = join(import.meta.dirname, "../../fixtures/templates");

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

export function clients(cloud: LocalCloud): { cfn: CloudFormationClient; sqs: SQSClient } {
  return { cfn: new CloudFormationClient(sdkConfig(cloud)), sqs: new SQSClient(sdkConfig(cloud)) };
}

const POLL_MS = 20;
const SETTLE_LIMIT_MS = 20_000;

/**
 * Polls DescribeStacks (what every CloudFormation client does) until the stack leaves its
 * *_IN_PROGRESS state, and returns it. Waiter tests use the SDK waiters instead.
 */
export function settle(cfn: CloudFormationClient, stackName: string, pollMs = POLL_MS): Promise<Stack> {
  return eventually(
    async () => {
      const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0]!;
      return (!stack.StackStatus!.endsWith("_IN_PROGRESS") || stack.StackStatus === "REVIEW_IN_PROGRESS") && stack;
    },
    `stack ${stackName} to leave *_IN_PROGRESS`,
    SETTLE_LIMIT_MS,
    pollMs,
  );
}

/** Every event of a stack, oldest first. */
export async function allEvents(cfn: CloudFormationClient, stackName: string): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName, NextToken: token }));
    events.push(...(page.StackEvents ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return events.reverse();
}

export function output(stack: Stack, key: string): string | undefined {
  return stack.Outputs?.find((item) => item.OutputKey === key)?.OutputValue;
}
