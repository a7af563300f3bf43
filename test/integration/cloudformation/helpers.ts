import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand, type Stack, type StackEvent } from "@aws-sdk/client-cloudformation";
import { SQSClient } from "@aws-sdk/client-sqs";
import { sdkConfig } from "../../helpers/local-cloud.js";
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
export async function settle(cfn: CloudFormationClient, stackName: string): Promise<Stack> {
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  while (true) {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0]!;
    if (!stack.StackStatus!.endsWith("_IN_PROGRESS") || stack.StackStatus === "REVIEW_IN_PROGRESS") return stack;
    if (Date.now() > deadline) throw new Error(`stack ${stackName} still ${stack.StackStatus}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
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
