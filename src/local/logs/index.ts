// Placeholder until the logs service lands; replaced by its real factory.
import type { LocalContext } from "../context.js";
import type { LogsPlugin } from "../contracts.js";
import { notImplementedApi, notImplementedHandler } from "../server/not-implemented.js";

export function createLogsPlugin(_context: LocalContext): LogsPlugin {
  return {
    api: notImplementedApi("logs"),
    json: notImplementedHandler("logs"),
    close: async () => {},
  };
}
