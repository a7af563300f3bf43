import { AwsServiceError } from "../../aws-error.js";

/**
 * A template or parameter problem. CloudFormation reports all of these as `ValidationError`
 * (HTTP 400, Sender) with messages that start "Template format error:", "Template error:" or
 * "Parameters: …"; the message text is what users search for, so it follows AWS's wording.
 */
export class TemplateError extends AwsServiceError {
  constructor(message: string) {
    super("ValidationError", message);
  }
}

export function validationError(message: string): AwsServiceError {
  return new AwsServiceError("ValidationError", message);
}
