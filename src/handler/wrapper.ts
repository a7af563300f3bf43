/**
 * The Lambda entry around a processing function: one @connections client per execution
 * environment (reused across invocations), structured JSON logs, and the partial batch response.
 * Used for the built-in echo handler (index.ts) and for `wsq deploy --handler FILE`.
 *
 * The client is connections-client.ts (SigV4, and a keep-alive HTTP/1.1 client of its own: http1.ts), not the AWS SDK's
 * ApiGatewayManagementApiClient: same wire request, same retries and error names, a small
 * fraction of the CPU per post and of the zip.
 */
import { connectionsClientFromEnvironment } from "./connections-client.js";
import { logLine } from "./log.js";
import { processBatch, type ProcessFunction } from "./process-batch.js";
import type { SqsBatchResponse, SqsEvent } from "./sqs-event.js";

/** Set by the template: the stage's @connections endpoint (https://… on AWS, http://127.0.0.1:… locally). */
export const CONNECTIONS_URL_VARIABLE = "WSQ_CONNECTIONS_URL";

/** What the wrapper needs of a @connections client (ConnectionsClient, or a stand-in in tests). */
export interface PostBackClient {
  postToConnection(connectionId: string, data: string): Promise<void>;
}

export type SqsHandler = (event: SqsEvent) => Promise<SqsBatchResponse>;

export function createHandler(process_: ProcessFunction, options: { client?: PostBackClient; env?: NodeJS.ProcessEnv } = {}): SqsHandler {
  if (typeof process_ !== "function") {
    throw new TypeError("The handler module must export a function named `process` (or a default export).");
  }
  let client = options.client;
  const getClient = (): PostBackClient => {
    if (client) return client;
    const env = options.env ?? process.env;
    const endpoint = env[CONNECTIONS_URL_VARIABLE];
    if (!endpoint) throw new Error(`${CONNECTIONS_URL_VARIABLE} is not set; the function was not deployed by the wsq template.`);
    client = connectionsClientFromEnvironment(endpoint, env, (error, delayMs) =>
      logLine("warn", "posting the result failed; retrying", { error: `${error.name}: ${error.message}`, attempt: error.$metadata.attempts, delayMs }),
    );
    return client;
  };
  return (event) =>
    processBatch(event, {
      post: (connectionId, data) => getClient().postToConnection(connectionId, data),
      process: process_,
      now: () => Date.now(),
      log: logLine,
    });
}
