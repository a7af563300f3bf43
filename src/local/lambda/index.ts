// Placeholder until the lambda service lands; replaced by its real factory.
import type { LocalContext } from "../context.js";
import type { LambdaPlugin, LogsApi, S3Api, SqsApi } from "../contracts.js";
import { notImplementedApi, notImplementedHandler } from "../server/not-implemented.js";

export interface LambdaDependencies {
  sqs: SqsApi;
  s3: S3Api;
  logs: LogsApi;
}

export function createLambdaPlugin(_context: LocalContext, _deps: LambdaDependencies): LambdaPlugin {
  return { api: notImplementedApi("lambda"), http: notImplementedHandler("lambda"), close: async () => {} };
}
