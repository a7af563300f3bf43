/**
 * Parameter values: defaults, UsePreviousValue, and the constraints AWS checks before a stack
 * operation starts, with AWS's messages.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/parameters-section-structure.html
 */
import { TemplateError } from "./errors.js";
import type { ParameterDefinition, Template } from "./template.js";

export interface SuppliedParameter {
  key: string;
  value: string | undefined;
  usePreviousValue: boolean;
}

/** Ref of a parameter: lists are lists, everything else the string the user gave. */
export type ParameterValue = string | string[];

export interface ResolvedParameters {
  /** The strings as given (what DescribeStacks shows, before NoEcho masking). */
  given: Record<string, string>;
  /** What Ref returns. */
  values: Record<string, ParameterValue>;
}

const NO_ECHO_MASK = "****";

export function maskedParameterValue(definition: ParameterDefinition | undefined, value: string): string {
  return definition?.noEcho ? NO_ECHO_MASK : value;
}

function fail(definition: ParameterDefinition, fallback: string): never {
  // A ConstraintDescription replaces AWS's generic text for pattern and value constraints.
  if (definition.constraintDescription !== undefined) {
    throw new TemplateError(`Parameter '${definition.name}' failed to satisfy constraint: ${definition.constraintDescription}`);
  }
  throw new TemplateError(fallback);
}

function isNumber(text: string): boolean {
  return text.trim() !== "" && Number.isFinite(Number(text));
}

function checkOne(definition: ParameterDefinition, value: string): void {
  const name = definition.name;
  if (definition.type === "Number" && !isNumber(value)) throw new TemplateError(`Parameter '${name}' must be a number`);
  if (definition.allowedValues !== undefined && !definition.allowedValues.includes(value)) {
    fail(definition, `Parameter '${name}' must be one of AllowedValues`);
  }
  if (definition.allowedPattern !== undefined) {
    // AWS matches the whole value (Java's Pattern.matches semantics).
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${definition.allowedPattern})$`, "u");
    } catch {
      throw new TemplateError(`Template format error: Parameter '${name}' AllowedPattern must be a valid regular expression`);
    }
    if (!pattern.test(value)) fail(definition, `Parameter '${name}' must match pattern ${definition.allowedPattern}`);
  }
  if (definition.minLength !== undefined && value.length < definition.minLength) {
    fail(definition, `Parameter '${name}' must contain at least ${definition.minLength} characters`);
  }
  if (definition.maxLength !== undefined && value.length > definition.maxLength) {
    fail(definition, `Parameter '${name}' must contain at most ${definition.maxLength} characters`);
  }
  if (definition.minValue !== undefined || definition.maxValue !== undefined) {
    if (!isNumber(value)) throw new TemplateError(`Parameter '${name}' must be a number`);
    const number = Number(value);
    if (definition.minValue !== undefined && number < definition.minValue)
      fail(definition, `Parameter '${name}' must be a number not less than ${definition.minValue}`);
    if (definition.maxValue !== undefined && number > definition.maxValue)
      fail(definition, `Parameter '${name}' must be a number not greater than ${definition.maxValue}`);
  }
}

function splitList(value: string): string[] {
  return value === "" ? [] : value.split(",").map((item) => item.trim());
}

/**
 * Resolves supplied values against the template's definitions. `previous` holds the stack's
 * current values for UsePreviousValue (updates).
 */
export function resolveParameters(template: Template, supplied: SuppliedParameter[], previous: Record<string, string> = {}): ResolvedParameters {
  const unknown = supplied.filter((parameter) => !template.parameters.has(parameter.key)).map((parameter) => parameter.key);
  if (unknown.length > 0) throw new TemplateError(`Parameters: [${unknown.join(", ")}] do not exist in the template`);
  const byKey = new Map(supplied.map((parameter) => [parameter.key, parameter]));
  const given: Record<string, string> = {};
  const values: Record<string, ParameterValue> = {};
  const missing: string[] = [];
  for (const definition of template.parameters.values()) {
    const supply = byKey.get(definition.name);
    let value: string | undefined;
    if (supply?.usePreviousValue) {
      value = previous[definition.name];
      if (value === undefined)
        throw new TemplateError(
          `Invalid input for parameter key ${definition.name}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`,
        );
    } else if (supply?.value !== undefined) {
      value = supply.value;
    } else {
      value = definition.defaultValue;
    }
    if (value === undefined) {
      missing.push(definition.name);
      continue;
    }
    given[definition.name] = value;
    if (definition.type === "CommaDelimitedList" || definition.type.startsWith("List<")) {
      const items = splitList(value);
      for (const item of items) {
        if (definition.type === "List<Number>" && !isNumber(item)) throw new TemplateError(`Parameter '${definition.name}' must be a number`);
        if (definition.allowedValues !== undefined || definition.allowedPattern !== undefined) checkOne({ ...definition, type: "String" }, item);
      }
      values[definition.name] = items;
    } else {
      checkOne(definition, value);
      values[definition.name] = value;
    }
  }
  if (missing.length > 0) throw new TemplateError(`Parameters: [${missing.join(", ")}] must have values`);
  return { given, values };
}
