/** The Lambda errors the local service throws, with the HTTP statuses Lambda answers them with. */
import { AwsServiceError } from "../aws-error.js";

export const lambdaErrors = {
  invalidParameter: (message: string) => new AwsServiceError("InvalidParameterValueException", message, { status: 400 }),
  functionNotFound: (arn: string) => new AwsServiceError("ResourceNotFoundException", `Function not found: ${arn}`, { status: 404 }),
  resourceNotFound: () => new AwsServiceError("ResourceNotFoundException", "The resource you requested does not exist.", { status: 404 }),
  conflict: (message: string) => new AwsServiceError("ResourceConflictException", message, { status: 409 }),
  preconditionFailed: (message: string) => new AwsServiceError("PreconditionFailedException", message, { status: 412 }),
  requestTooLarge: (message: string) => new AwsServiceError("RequestTooLargeException", message, { status: 413 }),
  invalidRequestContent: (message: string) => new AwsServiceError("InvalidRequestContentException", message, { status: 400 }),
};
