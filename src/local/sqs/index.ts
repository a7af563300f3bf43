// Placeholder until the sqs service lands; replaced by its real factory.
import type { LocalContext } from "../context.js";
import type { SqsPlugin } from "../contracts.js";
import { notImplementedApi, notImplementedHandler } from "../server/not-implemented.js";

export function createSqsPlugin(_context: LocalContext): SqsPlugin {
  return {
    api: notImplementedApi("sqs"),
    json: notImplementedHandler("sqs"), query: notImplementedHandler("sqs"),
    close: async () => {},
  };
}
