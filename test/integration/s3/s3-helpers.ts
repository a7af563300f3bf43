import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";
import { sdkConfig } from "../../helpers/local-cloud.js";

export function s3Client(cloud: LocalCloud, overrides: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return new S3Client({ ...sdkConfig(cloud), forcePathStyle: true, maxAttempts: 1, ...overrides });
}

/** The S3 error a call failed with: its code (name) and HTTP status. */
export async function s3Error(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return { name: error.name, status: error.$metadata.httpStatusCode, message: error.message };
    throw error;
  }
  throw new Error("expected the call to fail");
}
