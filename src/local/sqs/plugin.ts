/** Wires the SQS service to its two protocol adapters (see src/local/contracts.ts: SqsPlugin). */
import type { LocalContext } from "../context.js";
import type { SqsPlugin } from "../contracts.js";
import { createJsonHandler } from "./json-protocol.js";
import { createQueryHandler } from "./query-protocol.js";
import { SqsService, type SqsServiceOptions } from "./service.js";

export function createRealSqsPlugin(context: LocalContext, options: SqsServiceOptions = {}): SqsPlugin {
  const service = new SqsService(context, options);
  return {
    api: service,
    quotasEnforced: service.quotasEnforced,
    json: createJsonHandler(service, context.log),
    query: createQueryHandler(service, context.log),
    close: async () => service.close(),
  };
}
