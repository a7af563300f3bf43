/**
 * The S3 REST protocol, path-style (`http://127.0.0.1:PORT/bucket/key`), as @aws-sdk/client-s3
 * sends it with `forcePathStyle: true` and as the AWS CLI sends it to an IP endpoint: a request is
 * routed by its path and query to one operation (buckets.ts, objects.ts, multipart.ts), which calls
 * S3Service; AwsServiceError becomes S3's `<Error>` document in one place (errors.ts).
 */
import type { LocalContext } from "../../context.js";
import type { HttpHandler, LocalRequest, LocalResponse } from "../../server/http-types.js";
import type { S3Service } from "../service.js";
import { has, s3Rest, splitPath, type S3Rest } from "./common.js";
import { methodNotAllowed, notImplemented, toErrorResponse } from "./errors.js";
import { bucketSubresource, createBucket, deleteBucket, headBucket, listBuckets, listObjects } from "./buckets.js";
import { deleteObject, getOrHeadObject, OBJECT_SUBRESOURCES, putObject } from "./objects.js";
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listParts, uploadPart } from "./multipart.js";

async function dispatch(rest: S3Rest, request: LocalRequest): Promise<LocalResponse> {
  const target = splitPath(request.rawPath);
  const method = request.method.toUpperCase();
  if (target.bucket === undefined) {
    if (method === "GET") return listBuckets(rest, request, target);
    throw methodNotAllowed();
  }
  if (target.key === undefined) {
    const sub = await bucketSubresource(rest, request, target);
    if (sub !== undefined) return sub;
    switch (method) {
      case "PUT":
        return createBucket(rest, request, target);
      case "HEAD":
        return headBucket(rest, request, target);
      case "GET":
        return listObjects(rest, request, target);
      case "DELETE":
        return deleteBucket(rest, request, target);
      default:
        throw methodNotAllowed();
    }
  }
  if (has(request, "uploads") && method === "POST") return createMultipartUpload(rest, request, target);
  if (has(request, "uploadId")) {
    if (method === "PUT" && has(request, "partNumber")) return uploadPart(rest, request, target);
    if (method === "POST") return completeMultipartUpload(rest, request, target);
    if (method === "DELETE") return abortMultipartUpload(rest, request, target);
    if (method === "GET") return listParts(rest, request, target);
    throw methodNotAllowed();
  }
  const objectSub = OBJECT_SUBRESOURCES.find((name) => has(request, name));
  if (objectSub !== undefined) throw notImplemented(`The object sub-resource ?${objectSub} (${method})`);
  switch (method) {
    case "PUT":
      return putObject(rest, request, target);
    case "GET":
      return getOrHeadObject(rest, request, target, true);
    case "HEAD":
      return getOrHeadObject(rest, request, target, false);
    case "DELETE":
      return deleteObject(rest, request, target);
    default:
      throw methodNotAllowed();
  }
}

export function createS3RestHandler(context: LocalContext, service: S3Service): HttpHandler {
  const rest = s3Rest(context, service);
  return async (request) => {
    const hostId = Buffer.from(request.requestId).toString("base64");
    const common = { "x-amz-request-id": request.requestId, "x-amz-id-2": hostId, server: "AmazonS3" };
    let reply: LocalResponse;
    try {
      reply = await dispatch(rest, request);
    } catch (error) {
      reply = toErrorResponse(error, request, context);
    }
    return { ...reply, headers: { ...reply.headers, ...common } };
  };
}
