import { AwsServiceError } from "../aws-error.js";

/**
 * General purpose bucket naming rules:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (checked 2026-11)
 */
export const MIN_BUCKET_NAME_LENGTH = 3;
export const MAX_BUCKET_NAME_LENGTH = 63;
const RESERVED_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/** Why a name breaks the rules, or undefined when it is valid. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < MIN_BUCKET_NAME_LENGTH || name.length > MAX_BUCKET_NAME_LENGTH) {
    return `Bucket names must be between ${MIN_BUCKET_NAME_LENGTH} and ${MAX_BUCKET_NAME_LENGTH} characters long.`;
  }
  if (!/^[a-z0-9.-]+$/.test(name)) return "Bucket names can consist only of lowercase letters, numbers, periods and hyphens.";
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return "Bucket names must begin and end with a letter or number.";
  if (name.includes("..")) return "Bucket names must not contain two adjacent periods.";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return "Bucket names must not be formatted as an IP address.";
  if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) return "Bucket names must not start with a reserved prefix.";
  if (RESERVED_SUFFIXES.some((s) => name.endsWith(s))) return "Bucket names must not end with a reserved suffix.";
  return undefined;
}

export function assertValidBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem !== undefined) throw new AwsServiceError("InvalidBucketName", `The specified bucket is not valid. ${problem}`, { status: 400 });
}
