// The Lambda service of the local cloud: service.ts (logic), rest-protocol.ts (wire),
// function-pool.ts / environment.ts / runtime/ (execution), event-source-mapping.ts (SQS polling).
import type { LocalContext } from "../context.js";
import type { LambdaPlugin } from "../contracts.js";
import { createLambdaRestHandler } from "./rest-protocol.js";
import { LambdaService, type LambdaDependencies } from "./service.js";

export type { LambdaDependencies } from "./service.js";

export function createLambdaPlugin(context: LocalContext, deps: LambdaDependencies): LambdaPlugin {
  const service = new LambdaService(context, deps);
  return { api: service, http: createLambdaRestHandler(service, context.log), close: () => service.close() };
}
