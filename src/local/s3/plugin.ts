import type { LocalContext } from "../context.js";
import type { S3Plugin } from "../contracts.js";
import { S3Service } from "./service.js";
import { createS3RestHandler } from "./rest/dispatch.js";

/** The S3 subset deploy assets need: durable buckets and objects behind the path-style REST API. */
export function createRealS3Plugin(context: LocalContext): S3Plugin & { service: S3Service } {
  const service = new S3Service(context);
  return {
    api: service,
    service,
    http: createS3RestHandler(context, service),
    close: () => service.close(),
  };
}
