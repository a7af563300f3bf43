/**
 * Resource property validation against the registry schema, as CloudFormation does when it
 * provisions a resource: an unknown property, a missing required one or a value of the wrong type
 * fails that resource (CREATE_FAILED / UPDATE_FAILED) with the reason below.
 */
import type { ResourceSpec, SpecProperty, SpecType } from "./resource-specs.js";

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return "JSONArray";
  if (isObject(value)) return "JSONObject";
  if (typeof value === "number") return Number.isInteger(value) ? "Integer" : "Number";
  if (typeof value === "boolean") return "Boolean";
  return "String";
}

/** CloudFormation coerces scalars between string, number and boolean forms where unambiguous. */
function checkType(value: unknown, type: SpecType, path: string, spec: ResourceSpec): string | undefined {
  switch (type.type) {
    case "string":
    case "date-time":
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        if ("allowedValues" in type && type.allowedValues !== undefined && !type.allowedValues.includes(String(value))) {
          return `${path}: failed validation constraint for keyword [enum]`;
        }
        return undefined;
      }
      return `${path}: expected type: String, found: ${typeName(value)}`;
    case "integer":
      if (typeof value === "number" ? Number.isInteger(value) : typeof value === "string" && /^-?\d+$/.test(value.trim())) return undefined;
      return `${path}: expected type: Integer, found: ${typeName(value)}`;
    case "number":
      if (typeof value === "number" || (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))) return undefined;
      return `${path}: expected type: Number, found: ${typeName(value)}`;
    case "boolean":
      if (typeof value === "boolean" || value === "true" || value === "false") return undefined;
      return `${path}: expected type: Boolean, found: ${typeName(value)}`;
    case "json":
      return undefined;
    case "tag":
      if (!isObject(value)) return `${path}: expected type: JSONObject, found: ${typeName(value)}`;
      if (value.Key === undefined) return `${path}: required key [Key] not found`;
      if (value.Value === undefined) return `${path}: required key [Value] not found`;
      return undefined;
    case "array":
      if (!Array.isArray(value)) return `${path}: expected type: JSONArray, found: ${typeName(value)}`;
      for (const [index, item] of value.entries()) {
        const problem = checkType(item, type.element, `${path}/${index}`, spec);
        if (problem !== undefined) return problem;
      }
      return undefined;
    case "map":
      if (!isObject(value)) return `${path}: expected type: JSONObject, found: ${typeName(value)}`;
      for (const [key, item] of Object.entries(value)) {
        const problem = checkType(item, type.element, `${path}/${key}`, spec);
        if (problem !== undefined) return problem;
      }
      return undefined;
    case "union": {
      const problems = type.types.map((member) => checkType(value, member, path, spec));
      return problems.includes(undefined) ? undefined : problems[0];
    }
    case "ref": {
      const definition = spec.definition(type.reference.$ref);
      if (definition === undefined) return undefined;
      if (!isObject(value)) return `${path}: expected type: JSONObject, found: ${typeName(value)}`;
      return checkObject(value, definition.properties, path, spec);
    }
    default:
      return undefined;
  }
}

function checkObject(value: Record<string, unknown>, properties: Record<string, SpecProperty>, path: string, spec: ResourceSpec): string | undefined {
  for (const key of Object.keys(value)) {
    if (!(key in properties)) return `${path}: extraneous key [${key}] is not permitted`;
  }
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && value[name] === undefined) return `${path}: required key [${name}] not found`;
  }
  for (const [name, item] of Object.entries(value)) {
    const problem = checkType(item, properties[name]!.type, `${path}/${name}`, spec);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** undefined when valid, else the ResourceStatusReason CloudFormation would report. */
export function validateResourceProperties(logicalId: string, properties: Record<string, unknown>, spec: ResourceSpec): string | undefined {
  for (const key of Object.keys(properties)) {
    if (!(key in spec.properties)) return `Encountered unsupported property ${key}`;
  }
  const problem = checkObject(properties, spec.properties, "#", spec);
  return problem === undefined ? undefined : `Properties validation failed for resource ${logicalId} with message: [${problem}]`;
}

/**
 * Converts scalars to the schema's types (a Number parameter arrives as "10"; the service API
 * wants 10), as CloudFormation does before it calls a resource handler. Call after validation.
 */
export function coerceProperties(properties: Record<string, unknown>, spec: ResourceSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(properties)) {
    const property = spec.properties[name];
    out[name] = property === undefined ? value : coerce(value, property.type, spec);
  }
  return out;
}

function coerce(value: unknown, type: SpecType, spec: ResourceSpec): unknown {
  switch (type.type) {
    case "integer":
    case "number":
      return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
    case "boolean":
      return value === "true" ? true : value === "false" ? false : value;
    case "string":
      return typeof value === "number" || typeof value === "boolean" ? String(value) : value;
    case "array":
      return Array.isArray(value) ? value.map((item) => coerce(item, type.element, spec)) : value;
    case "map":
      return isObject(value) ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, coerce(item, type.element, spec)])) : value;
    case "ref": {
      const definition = spec.definition(type.reference.$ref);
      if (definition === undefined || !isObject(value)) return value;
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [
          key,
          definition.properties[key] === undefined ? item : coerce(item, definition.properties[key].type, spec),
        ]),
      );
    }
    case "union": {
      // Prefer the member the value already is (a policy as object stays an object).
      return value;
    }
    default:
      return value;
  }
}
