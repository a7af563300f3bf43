import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { WsqError } from "../shared/errors.js";
import { wsqHome } from "../shared/paths.js";
import { isLoopbackHost } from "../shared/loopback.js";
import { clientConfig, type Target } from "../shared/target.js";
import { isStackNotFound } from "./stack-watch.js";
import { DEFAULT_STACK_NAME } from "../shared/defaults.js";

/** The template's outputs, which connect, burst, status and logs use to find the pattern. */
export interface StackOutputs {
  WebSocketUrl: string;
  ConnectionsUrl: string;
  QueueUrl: string;
  DeadLetterQueueUrl: string;
  FunctionName: string;
}

export interface SavedStack {
  stackName: string;
  target: Target["kind"];
  region: string | undefined;
  endpoint: string | undefined;
  outputs: StackOutputs;
  savedAt: string;
}

const OUTPUT_KEYS: (keyof StackOutputs)[] = ["WebSocketUrl", "ConnectionsUrl", "QueueUrl", "DeadLetterQueueUrl", "FunctionName"];

function savedStackPath(target: Target, stackName: string, env: NodeJS.ProcessEnv): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");
  return join(wsqHome(env), "stacks", `${target.kind}-${safe(target.region ?? "default")}-${safe(stackName)}.json`);
}

export function saveStackOutputs(target: Target, stackName: string, outputs: StackOutputs, env: NodeJS.ProcessEnv = process.env): void {
  const file = savedStackPath(target, stackName, env);
  mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
  const saved: SavedStack = { stackName, target: target.kind, region: target.region, endpoint: target.endpoint, outputs, savedAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
}

export function forgetStackOutputs(target: Target, stackName: string, env: NodeJS.ProcessEnv = process.env): void {
  rmSync(savedStackPath(target, stackName, env), { force: true });
}

export function readSavedStack(target: Target, stackName: string, env: NodeJS.ProcessEnv = process.env): SavedStack | undefined {
  try {
    return JSON.parse(readFileSync(savedStackPath(target, stackName, env), "utf8")) as SavedStack;
  } catch {
    return undefined;
  }
}

/** Pick the template's outputs from DescribeStacks' Outputs list; throws when one is missing. */
export function outputsFromDescribe(stackName: string, outputs: { OutputKey?: string; OutputValue?: string }[] | undefined): StackOutputs {
  const byKey = new Map((outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const missing = OUTPUT_KEYS.filter((key) => !byKey.get(key));
  if (missing.length > 0) {
    throw new WsqError(
      "NOT_A_WSQ_STACK",
      `Stack "${stackName}" has no ${missing.join(", ")} output${missing.length > 1 ? "s" : ""}: it was not deployed by wsq, or not completely.`,
      {
        hint: `Deploy it with \`wsq deploy --stack-name ${stackName}\`.`,
      },
    );
  }
  return Object.fromEntries(OUTPUT_KEYS.map((key) => [key, byKey.get(key) as string])) as unknown as StackOutputs;
}

function loopbackPort(url: string | undefined): number | undefined {
  try {
    const parsed = new URL(url ?? "");
    if (!isLoopbackHost(parsed.hostname) || parsed.port === "") return undefined;
    return Number(parsed.port);
  } catch {
    return undefined;
  }
}

/**
 * A local stack deployed while the local cloud listened on another port: its URLs (and its
 * function's @connections endpoint) still name that port, so nothing answers there.
 */
export function localPortDrift(target: Target, outputs: Pick<StackOutputs, "WebSocketUrl">): { deployedPort: number; currentPort: number } | undefined {
  if (target.kind !== "local") return undefined;
  const currentPort = loopbackPort(target.endpoint);
  const deployedPort = loopbackPort(outputs.WebSocketUrl);
  if (currentPort === undefined || deployedPort === undefined || currentPort === deployedPort) return undefined;
  return { deployedPort, currentPort };
}

/** The error naming both ways out when the stack's URLs name another port than the local cloud's. */
export function portDriftError(target: Target, stackName: string, outputs: Pick<StackOutputs, "WebSocketUrl">): WsqError | undefined {
  const drift = localPortDrift(target, outputs);
  if (drift === undefined) return undefined;
  const stackFlag = stackName === DEFAULT_STACK_NAME ? "" : ` --stack-name ${stackName}`;
  return new WsqError(
    "STACK_ON_OTHER_PORT",
    `Stack "${stackName}" was deployed while the local cloud listened on port ${drift.deployedPort}; it now listens on ${drift.currentPort}, and the stack's URLs (and its function's @connections endpoint) still name ${drift.deployedPort}.`,
    {
      hint:
        `Restart the local cloud on that port: \`wsq local stop && wsq local start --port ${drift.deployedPort}\`. ` +
        `Or rebuild the stack on this one: \`wsq destroy${stackFlag} --yes\`, then \`wsq deploy${stackFlag}\`.`,
    },
  );
}

/** Throws portDriftError's error when there is one. */
export function assertSamePort(target: Target, stackName: string, outputs: Pick<StackOutputs, "WebSocketUrl">): void {
  const error = portDriftError(target, stackName, outputs);
  if (error !== undefined) throw error;
}

/**
 * The outputs of a deployed stack, asked of CloudFormation (the truth, on either target).
 * Falls back to the outputs saved by the last `wsq deploy` only when CloudFormation cannot be reached.
 */
export async function findStackOutputs(target: Target, stackName: string, env: NodeJS.ProcessEnv = process.env): Promise<StackOutputs> {
  const client = new CloudFormationClient(clientConfig(target));
  try {
    const reply = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = reply.Stacks?.[0];
    if (!stack) throw new Error("no stack");
    const outputs = outputsFromDescribe(stackName, stack.Outputs);
    assertSamePort(target, stackName, outputs);
    return outputs;
  } catch (error) {
    if (error instanceof WsqError) throw error;
    if (isStackNotFound(error)) {
      throw new WsqError("STACK_NOT_FOUND", `No stack named "${stackName}" is deployed on the ${target.kind} target.`, {
        hint: `Deploy it with \`wsq deploy --stack-name ${stackName}${target.kind === "aws" ? " --target aws" : ""}\`, or pass --url.`,
      });
    }
    const saved = readSavedStack(target, stackName, env);
    if (saved) return saved.outputs;
    throw error;
  } finally {
    client.destroy();
  }
}
