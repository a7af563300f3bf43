// Placeholder until the s3 service lands; replaced by its real factory.
import type { LocalContext } from "../context.js";
import type { S3Plugin } from "../contracts.js";
import { notImplementedApi, notImplementedHandler } from "../server/not-implemented.js";

export function createS3Plugin(_context: LocalContext): S3Plugin {
  return {
    api: notImplementedApi("s3"),
    http: notImplementedHandler("s3"),
    close: async () => {},
  };
}
