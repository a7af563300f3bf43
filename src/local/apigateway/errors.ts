/**
 * API Gateway v2's errors, as its REST-JSON API names them.
 * https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/errors.html
 */
import { AwsServiceError } from "../aws-error.js";

export const apigwErrors = {
  notFound: (message: string) => new AwsServiceError("NotFoundException", message, { status: 404 }),
  badRequest: (message: string) => new AwsServiceError("BadRequestException", message, { status: 400 }),
  conflict: (message: string) => new AwsServiceError("ConflictException", message, { status: 409 }),
  tooManyRequests: (message: string) => new AwsServiceError("TooManyRequestsException", message, { status: 429 }),
};

/** The @connections (Management API) errors. */
export const managementErrors = {
  gone: (connectionId: string) => new AwsServiceError("GoneException", `Connection ${connectionId} is gone.`, { status: 410 }),
  payloadTooLarge: (limit: number) =>
    new AwsServiceError("PayloadTooLargeException", `Message payload exceeds the maximum of ${limit} bytes.`, { status: 413 }),
  forbidden: () => new AwsServiceError("ForbiddenException", "Forbidden", { status: 403 }),
  limitExceeded: () => new AwsServiceError("LimitExceededException", "Too Many Requests", { status: 429 }),
};
