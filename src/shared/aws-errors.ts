import { WsqError } from "./errors.js";

/**
 * AWS SDK failures a user can fix, turned into WsqErrors that say how. Returns undefined for
 * anything it does not recognise (the caller reports that as it is).
 */
export function translateAwsError(error: unknown): WsqError | undefined {
  if (!(error instanceof Error) || error instanceof WsqError) return undefined;
  const name = error.name;
  const message = error.message;
  const code = (error as { code?: string }).code;
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) {
    return new WsqError("NO_CREDENTIALS", "No AWS credentials were found.", {
      hint: "Run `aws configure` or `aws sso login`, set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use the local target (--target local).",
      cause: error,
    });
  }
  if (name === "ExpiredToken" || name === "ExpiredTokenException" || (/expired/i.test(message) && /token/i.test(message))) {
    return new WsqError("CREDENTIALS_EXPIRED", "Your AWS credentials have expired.", {
      hint: "Refresh them (for example `aws sso login --profile NAME`) and run the command again.",
      cause: error,
    });
  }
  if (name === "AccessDenied" || name === "AccessDeniedException" || /not authorized to perform/i.test(message)) {
    return new WsqError("ACCESS_DENIED", `AWS denied the request: ${message}`, {
      hint: "Use credentials allowed to run CloudFormation, IAM, SQS, Lambda, S3 and API Gateway, or ask your administrator for those permissions.",
      cause: error,
    });
  }
  if (/Region is missing/i.test(message)) {
    return new WsqError("NO_REGION", "No AWS region is set.", {
      hint: "Pass --region (for example --region eu-west-1), set AWS_REGION, or set a region in your AWS profile.",
      cause: error,
    });
  }
  if (name === "Throttling" || name === "ThrottlingException" || name === "TooManyRequestsException") {
    return new WsqError("THROTTLED", `AWS throttled the request: ${message}`, {
      hint: "Wait a little and run the command again.",
      cause: error,
    });
  }
  if (code === "ECONNREFUSED" || /ECONNREFUSED/.test(message)) {
    return new WsqError("ENDPOINT_UNREACHABLE", `Nothing answers at the endpoint: ${message}`, {
      hint: "For the local target, start the local cloud with `wsq local start`; otherwise check --endpoint-url.",
      cause: error,
    });
  }
  if (code === "ECONNRESET" || /ECONNRESET|socket hang up/i.test(message)) {
    return new WsqError("ENDPOINT_DROPPED", `The endpoint dropped the connection mid-request: ${message}`, {
      hint: "For the local target, check it is still running (`wsq local status`, `wsq local logs`) and run the command again; otherwise check your network or --endpoint-url.",
      cause: error,
    });
  }
  return undefined;
}
