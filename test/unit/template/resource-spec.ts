/**
 * Offline validation of a CloudFormation template against AWS's own resource schemas, as shipped
 * (merged and normalised) in @aws-cdk/aws-service-spec's db.json.gz: resource types exist,
 * properties are known and well-typed, required properties are present, GetAtt names real
 * attributes. Intrinsic functions are not evaluated; their results are accepted for any type.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gunzipSync } from "node:zlib";

type TypeSpec =
  | { type: "string" | "number" | "integer" | "boolean" | "json" | "date-time" | "tag" }
  | { type: "array" | "map"; element: TypeSpec }
  | { type: "ref"; reference: { $ref: string } }
  | { type: "union"; types: TypeSpec[] };

interface PropertySpec {
  type: TypeSpec;
  required?: boolean;
}

interface ResourceSpec {
  cloudFormationType: string;
  properties: Record<string, PropertySpec>;
  attributes: Record<string, unknown>;
}

interface TypeDefinition {
  name: string;
  properties: Record<string, PropertySpec>;
}

export interface ResourceSpecDb {
  resource(type: string): ResourceSpec | undefined;
  typeDefinition(id: string): TypeDefinition | undefined;
}

let cached: ResourceSpecDb | undefined;

export function loadResourceSpec(): ResourceSpecDb {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const path = require.resolve("@aws-cdk/aws-service-spec/db.json.gz");
  const db = JSON.parse(gunzipSync(readFileSync(path)).toString("utf8")) as {
    schema: { resource: { entities: Record<string, ResourceSpec> }; typeDefinition: { entities: Record<string, TypeDefinition & { $id: string }> } };
  };
  const byType = new Map(Object.values(db.schema.resource.entities).map((r) => [r.cloudFormationType, r]));
  const types = new Map(Object.values(db.schema.typeDefinition.entities).map((t) => [t.$id, t]));
  cached = { resource: (type) => byType.get(type), typeDefinition: (id) => types.get(id) };
  return cached;
}

function isIntrinsic(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === "Ref" || (keys[0] as string).startsWith("Fn::"));
}

/** Problems with `value` against `spec`, each prefixed with its property path. */
export function checkValue(db: ResourceSpecDb, spec: TypeSpec, value: unknown, path: string): string[] {
  if (isIntrinsic(value)) return [];
  switch (spec.type) {
    case "string":
      return typeof value === "string" ? [] : [`${path}: expected a string, got ${JSON.stringify(value)}`];
    case "date-time":
      return typeof value === "string" ? [] : [`${path}: expected a date-time string`];
    case "integer":
      return (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^-?\d+$/.test(value))
        ? []
        : [`${path}: expected an integer, got ${JSON.stringify(value)}`];
    case "number":
      return typeof value === "number" || (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
        ? []
        : [`${path}: expected a number`];
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false" ? [] : [`${path}: expected a boolean, got ${JSON.stringify(value)}`];
    case "json":
      return typeof value === "object" && value !== null ? [] : [`${path}: expected a JSON object`];
    case "tag":
      return typeof value === "object" && value !== null && "Key" in value && "Value" in value ? [] : [`${path}: expected a tag {Key, Value}`];
    case "array":
      if (!Array.isArray(value)) return [`${path}: expected a list`];
      return value.flatMap((item, index) => checkValue(db, spec.element, item, `${path}[${index}]`));
    case "map":
      if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${path}: expected a map`];
      return Object.entries(value).flatMap(([key, item]) => checkValue(db, spec.element, item, `${path}.${key}`));
    case "union": {
      const results = spec.types.map((t) => checkValue(db, t, value, path));
      return results.some((r) => r.length === 0) ? [] : (results[0] ?? [`${path}: matches no alternative`]);
    }
    case "ref": {
      const definition = db.typeDefinition(spec.reference.$ref);
      if (!definition) return [`${path}: unknown type ${spec.reference.$ref}`];
      return checkProperties(db, definition.properties, value, path, definition.name);
    }
  }
}

export function checkProperties(db: ResourceSpecDb, properties: Record<string, PropertySpec>, value: unknown, path: string, typeName: string): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${path}: expected an object (${typeName})`];
  const problems: string[] = [];
  for (const [name, item] of Object.entries(value)) {
    const property = properties[name];
    if (!property) problems.push(`${path}.${name}: not a property of ${typeName}`);
    else problems.push(...checkValue(db, property.type, item, `${path}.${name}`));
  }
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && !(name in value)) problems.push(`${path}.${name}: required by ${typeName} but missing`);
  }
  return problems;
}
