/**
 * Template text → the JSON form of a template: JSON as it is, YAML through the one reader of
 * CloudFormation's YAML (src/shared/cloudformation-yaml.ts), its refusals as ValidationErrors.
 */
import { CloudFormationYamlError, readCloudFormationYaml, type TemplateValue } from "../../../shared/cloudformation-yaml.js";
import { TemplateError } from "./errors.js";

/** JSON if it looks like JSON (AWS sniffs the same way), YAML otherwise. */
export function parseTemplateBody(body: string): Record<string, TemplateValue> {
  const trimmed = body.trimStart();
  let parsed: TemplateValue;
  if (trimmed.startsWith("{")) {
    try {
      parsed = JSON.parse(body) as TemplateValue;
    } catch (error) {
      throw new TemplateError(`Template format error: JSON not well-formed. (${(error as Error).message})`);
    }
  } else {
    try {
      parsed = readCloudFormationYaml(body);
    } catch (error) {
      if (error instanceof CloudFormationYamlError) throw new TemplateError(error.message);
      throw error;
    }
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new TemplateError("Template format error: JSON not well-formed. (the template must be an object)");
  }
  return parsed;
}
