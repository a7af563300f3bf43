// The CloudWatch Logs subset of the local cloud: service.ts (logic), store.ts (SQLite), json-protocol.ts (wire).
import type { LocalContext } from "../context.js";
import type { LogsPlugin } from "../contracts.js";
import { createLogsJsonHandler } from "./json-protocol.js";
import { LogsService } from "./service.js";

export function createLogsPlugin(context: LocalContext): LogsPlugin {
  const service = new LogsService(context);
  return { api: service, json: createLogsJsonHandler(service, context.log), close: () => service.close() };
}
