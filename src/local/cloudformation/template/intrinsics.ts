/**
 * Evaluation of CloudFormation's intrinsic functions over the JSON form of a template.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
 *
 * Pure: every outside fact (parameter values, resource ids and attributes, exports, conditions)
 * comes through `EvaluationScope`. A value that is not known yet (a resource a change set has not
 * created) evaluates to `UNKNOWN`, which spreads through every function that consumes it; change
 * sets use that to say "Replacement: Conditional" as AWS does for values resolved at deploy time.
 */
import { scalarText } from "../../../shared/cloudformation-yaml.js";
import { TemplateError } from "./errors.js";
import type { TemplateValue } from "../../../shared/cloudformation-yaml.js";

/** `Ref: AWS::NoValue` — removes the property (or list element) that holds it. */
export const NO_VALUE: unique symbol = Symbol("AWS::NoValue");
/** A value only known once a resource exists. */
export const UNKNOWN: unique symbol = Symbol("unknown until deployed");

export type Resolved = TemplateValue | typeof NO_VALUE | typeof UNKNOWN | Resolved[] | { [key: string]: Resolved };

export interface EvaluationScope {
  /** Ref of a parameter, pseudo parameter or resource; undefined when the name is not defined. */
  ref(name: string): Resolved | undefined;
  /** Throws TemplateError for an attribute the type does not have. */
  getAtt(logicalId: string, attribute: string): Resolved;
  /** Value of a named condition (already validated to exist). */
  condition(name: string): boolean;
  mapping(name: string): Record<string, Record<string, TemplateValue>> | undefined;
  importValue(exportName: string): string;
  region: string;
}

const CONDITION_FUNCTIONS = new Set(["Fn::And", "Fn::Or", "Fn::Not", "Fn::Equals", "Condition"]);

export function isIntrinsic(value: unknown): value is Record<string, TemplateValue> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === "Ref" || keys[0] === "Condition" || keys[0]!.startsWith("Fn::"));
}

function isUnknown(value: Resolved): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(isUnknown);
  return false;
}

function asString(value: Resolved, fn: string): string | typeof UNKNOWN {
  if (value === UNKNOWN) return UNKNOWN;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new TemplateError(`Template error: ${fn} requires a string, but got ${describe(value)}`);
}

function asList(value: Resolved, fn: string): Resolved[] | typeof UNKNOWN {
  if (value === UNKNOWN) return UNKNOWN;
  if (Array.isArray(value)) return value;
  throw new TemplateError(`Template error: ${fn} requires a list, but got ${describe(value)}`);
}

function describe(value: Resolved): string {
  if (value === NO_VALUE) return "AWS::NoValue";
  if (value === UNKNOWN) return "an unresolved value";
  return JSON.stringify(value);
}

/** Resolves every intrinsic in `value`, dropping AWS::NoValue entries from objects and lists. */
export function resolveValue(value: TemplateValue | Resolved, scope: EvaluationScope): Resolved {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    return value.map((item) => resolveValue(item, scope)).filter((item) => item !== NO_VALUE);
  }
  if (isIntrinsic(value)) {
    const [name] = Object.keys(value) as [string];
    return resolveFunction(name, value[name] as TemplateValue, scope);
  }
  const out: Record<string, Resolved> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolveValue(item, scope);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

function resolveFunction(name: string, args: TemplateValue, scope: EvaluationScope): Resolved {
  switch (name) {
    case "Ref": {
      if (typeof args !== "string") throw new TemplateError("Template format error: Every Ref object must have a single String value.");
      const resolved = scope.ref(args);
      if (resolved === undefined)
        throw new TemplateError(`Template format error: Unresolved resource dependencies [${args}] in the Resources block of the template`);
      return resolved;
    }
    case "Fn::GetAtt":
      return resolveGetAtt(args, scope);
    case "Fn::Sub":
      return resolveSub(args, scope);
    case "Fn::Join": {
      if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== "string") {
        throw new TemplateError(
          "Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.",
        );
      }
      const list = asList(resolveValue(args[1]!, scope), "Fn::Join");
      if (list === UNKNOWN) return UNKNOWN;
      const parts: string[] = [];
      for (const item of list) {
        const text = asString(item, "Fn::Join");
        if (text === UNKNOWN) return UNKNOWN;
        parts.push(text);
      }
      return parts.join(args[0]);
    }
    case "Fn::Select": {
      if (!Array.isArray(args) || args.length !== 2)
        throw new TemplateError("Template error: Fn::Select requires a list argument with two elements: an integer index and a list");
      const index = resolveValue(args[0]!, scope);
      const list = asList(resolveValue(args[1]!, scope), "Fn::Select");
      if (index === UNKNOWN || list === UNKNOWN) return UNKNOWN;
      const position = typeof index === "number" ? index : typeof index === "string" && /^\d+$/.test(index) ? Number(index) : NaN;
      if (!Number.isInteger(position))
        throw new TemplateError("Template error: Fn::Select requires a list argument with two elements: an integer index and a list");
      if (position < 0 || position >= list.length) throw new TemplateError(`Template error: Fn::Select cannot select nonexistent value at index ${position}`);
      return list[position]!;
    }
    case "Fn::Split": {
      if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== "string") {
        throw new TemplateError(
          "Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.",
        );
      }
      const source = asString(resolveValue(args[1]!, scope), "Fn::Split");
      if (source === UNKNOWN) return UNKNOWN;
      return source.split(args[0]);
    }
    case "Fn::FindInMap":
      return resolveFindInMap(args, scope);
    case "Fn::GetAZs": {
      const region = resolveValue(args, scope);
      if (region === UNKNOWN) return UNKNOWN;
      const target = region === "" || region === null ? scope.region : scalarText(region);
      // The local cloud has no zones; it answers with the three a default VPC region shows.
      return ["a", "b", "c"].map((zone) => `${target}${zone}`);
    }
    case "Fn::Base64": {
      const text = asString(resolveValue(args, scope), "Fn::Base64");
      return text === UNKNOWN ? UNKNOWN : Buffer.from(text, "utf8").toString("base64");
    }
    case "Fn::ImportValue": {
      const exportName = asString(resolveValue(args, scope), "Fn::ImportValue");
      if (exportName === UNKNOWN) return UNKNOWN;
      return scope.importValue(exportName);
    }
    case "Fn::If": {
      if (!Array.isArray(args) || args.length !== 3 || typeof args[0] !== "string") {
        throw new TemplateError("Template error: Fn::If requires a list argument with three elements");
      }
      return resolveValue(scope.condition(args[0]) ? args[1]! : args[2]!, scope);
    }
    case "Fn::Equals":
    case "Fn::And":
    case "Fn::Or":
    case "Fn::Not":
    case "Condition":
      return evaluateCondition({ [name]: args }, scope);
    default:
      throw new TemplateError(`Template format error: Unrecognized intrinsic function ${name}`);
  }
}

function resolveGetAtt(args: TemplateValue, scope: EvaluationScope): Resolved {
  let pair: TemplateValue[];
  if (typeof args === "string") {
    const dot = args.indexOf(".");
    pair = dot > 0 ? [args.slice(0, dot), args.slice(dot + 1)] : [args];
  } else if (Array.isArray(args)) {
    pair = args;
  } else {
    pair = [];
  }
  if (pair.length !== 2 || typeof pair[0] !== "string") {
    throw new TemplateError("Template error: every Fn::GetAtt object requires two non-empty parameters");
  }
  const attribute = resolveValue(pair[1]!, scope);
  if (attribute === UNKNOWN) return UNKNOWN;
  if (typeof attribute !== "string" || attribute === "") throw new TemplateError("Template error: every Fn::GetAtt object requires two non-empty parameters");
  return scope.getAtt(pair[0], attribute);
}

const SUB_VARIABLE = /\$\{([^}]*)\}/g;

function resolveSub(args: TemplateValue, scope: EvaluationScope): Resolved {
  let template: TemplateValue;
  let variables: Record<string, TemplateValue> = {};
  if (typeof args === "string") {
    template = args;
  } else if (
    Array.isArray(args) &&
    args.length === 2 &&
    typeof args[0] === "string" &&
    args[1] !== null &&
    typeof args[1] === "object" &&
    !Array.isArray(args[1])
  ) {
    template = args[0];
    variables = args[1];
  } else {
    throw new TemplateError(
      "Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string",
    );
  }
  let unknown = false;
  const text = template.replace(SUB_VARIABLE, (whole, inner: string) => {
    // `${!Literal}` writes `${Literal}` unchanged.
    if (inner.startsWith("!")) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    let value: Resolved | undefined;
    if (Object.prototype.hasOwnProperty.call(variables, name)) {
      value = resolveValue(variables[name]!, scope);
    } else if (name.includes(".") && !name.startsWith("AWS::")) {
      const dot = name.indexOf(".");
      value = scope.getAtt(name.slice(0, dot), name.slice(dot + 1));
    } else {
      value = scope.ref(name);
      if (value === undefined)
        throw new TemplateError(`Template format error: Unresolved resource dependencies [${name}] in the Resources block of the template`);
    }
    if (value === UNKNOWN || isUnknown(value)) {
      unknown = true;
      return whole;
    }
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
    throw new TemplateError(`Template error: variable ${name} in Fn::Sub expression does not resolve to a string`);
  });
  return unknown ? UNKNOWN : text;
}

function resolveFindInMap(args: TemplateValue, scope: EvaluationScope): Resolved {
  if (!Array.isArray(args) || args.length !== 3)
    throw new TemplateError("Template error: every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value");
  const [mapName, topKey, secondKey] = args.map((item) => resolveValue(item, scope));
  if (mapName === UNKNOWN || topKey === UNKNOWN || secondKey === UNKNOWN) return UNKNOWN;
  const mapping = scope.mapping(scalarText(mapName));
  if (mapping === undefined)
    throw new TemplateError(`Template error: Mapping named '${scalarText(mapName)}' is not present in the 'Mappings' section of template.`);
  const top = mapping[scalarText(topKey)];
  const value = top?.[scalarText(secondKey)];
  if (value === undefined)
    throw new TemplateError(`Template error: Unable to get mapping for ${scalarText(mapName)}::${scalarText(topKey)}::${scalarText(secondKey)}`);
  return value;
}

/** Evaluates a condition expression (Fn::Equals/And/Or/Not, Condition) to a boolean. */
export function evaluateCondition(expression: TemplateValue, scope: EvaluationScope): boolean {
  if (!isIntrinsic(expression)) throw new TemplateError("Template format error: Conditions can only be boolean operations on parameters and other conditions");
  const [name] = Object.keys(expression) as [string];
  const args = expression[name] as TemplateValue;
  switch (name) {
    case "Condition":
      if (typeof args !== "string") throw new TemplateError("Template format error: Every Condition member must be a string.");
      return scope.condition(args);
    case "Fn::Equals": {
      if (!Array.isArray(args) || args.length !== 2) throw new TemplateError("Template error: Fn::Equals requires a list argument with two elements");
      const [left, right] = args.map((item) => resolveValue(item, scope));
      return canonical(left!) === canonical(right!);
    }
    case "Fn::Not": {
      if (!Array.isArray(args) || args.length !== 1) throw new TemplateError("Template error: Fn::Not requires a list argument with one function token");
      return !evaluateCondition(args[0]!, scope);
    }
    case "Fn::And":
    case "Fn::Or": {
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-conditions.html
      if (!Array.isArray(args) || args.length < 2 || args.length > 10) {
        throw new TemplateError(`Template error: ${name} requires a list argument with between 2 and 10 function tokens`);
      }
      const values = args.map((item) => evaluateCondition(item, scope));
      return name === "Fn::And" ? values.every(Boolean) : values.some(Boolean);
    }
    default:
      if (!CONDITION_FUNCTIONS.has(name)) {
        throw new TemplateError(`Template format error: Conditions can only be boolean operations on parameters and other conditions`);
      }
      return false;
  }
}

function canonical(value: Resolved): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === "symbol" ? String(item) : item));
}

/** True when the value still holds an UNKNOWN anywhere. */
export function containsUnknown(value: Resolved): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}
