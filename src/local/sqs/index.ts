// The SQS service of the local cloud: see plugin.ts (wiring), service.ts (logic) and docs/sqs.md.
import type { LocalContext } from "../context.js";
import type { SqsPlugin } from "../contracts.js";
import { createRealSqsPlugin } from "./plugin.js";
import type { SqsServiceOptions } from "./service.js";

export function createSqsPlugin(context: LocalContext, options: SqsServiceOptions = {}): SqsPlugin {
  return createRealSqsPlugin(context, options);
}
