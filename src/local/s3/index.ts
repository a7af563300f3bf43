import type { LocalContext } from "../context.js";
import type { S3Plugin } from "../contracts.js";
import { createRealS3Plugin } from "./plugin.js";

export { S3Service } from "./service.js";

/** Buckets and objects on disk behind S3's path-style REST API (see docs/s3.md). */
export function createS3Plugin(context: LocalContext): S3Plugin {
  return createRealS3Plugin(context);
}
