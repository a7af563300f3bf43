/**
 * CloudFormation's resource schemas, from the registry snapshot that @aws-cdk/aws-service-spec
 * ships (db.json.gz): which types exist, which properties each has (required, type, allowed
 * values), which attributes Fn::GetAtt may ask for, and which property changes replace the
 * resource (createOnlyProperties, "causesReplacement" in the snapshot).
 *
 * The snapshot is 15 MB of JSON; it is read once per process on first use, and only the types the
 * engine asks for are kept in extracted form. The cache is immutable data shared by every local
 * cloud in the process, which is why it may live at module level.
 */
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { gunzip } from "node:zlib";
import { promisify } from "node:util";

const gunzipAsync = promisify(gunzip);

export type SpecType =
  | { type: "string" | "integer" | "number" | "boolean" | "json" | "date-time" | "tag"; allowedValues?: string[] }
  | { type: "ref"; reference: { $ref: string } }
  | { type: "array" | "map"; element: SpecType }
  | { type: "union"; types: SpecType[] };

export interface SpecProperty {
  type: SpecType;
  required?: boolean;
  causesReplacement?: "yes" | "maybe";
}

interface RawResource {
  cloudFormationType: string;
  properties: Record<string, SpecProperty>;
  attributes: Record<string, unknown>;
  primaryIdentifier?: string[];
}

interface RawTypeDefinition {
  $id: string;
  name: string;
  properties: Record<string, SpecProperty>;
}

export interface ResourceSpec {
  type: string;
  properties: Record<string, SpecProperty>;
  attributes: Set<string>;
  /** Properties whose change replaces the resource ("yes"); "maybe" ones are Conditional. */
  replaceOnChange: Set<string>;
  conditionalReplace: Set<string>;
  definition(id: string): RawTypeDefinition | undefined;
}

export interface SpecDatabase {
  /** undefined when the type does not exist in CloudFormation at all. */
  resource(type: string): ResourceSpec | undefined;
}

let loading: Promise<SpecDatabase | undefined> | undefined;

function specPath(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve("@aws-cdk/aws-service-spec/package.json")), "db.json.gz");
  } catch {
    return undefined;
  }
}

async function load(): Promise<SpecDatabase | undefined> {
  const path = specPath();
  if (path === undefined) return undefined;
  const raw = JSON.parse((await gunzipAsync(await readFile(path))).toString("utf8")) as {
    schema: { resource: { entities: Record<string, RawResource> }; typeDefinition: { entities: Record<string, RawTypeDefinition> } };
  };
  const resources = new Map<string, RawResource>();
  for (const entity of Object.values(raw.schema.resource.entities)) resources.set(entity.cloudFormationType, entity);
  const definitions = new Map<string, RawTypeDefinition>();
  for (const entity of Object.values(raw.schema.typeDefinition.entities)) definitions.set(entity.$id, entity);
  const extracted = new Map<string, ResourceSpec>();
  return {
    resource(type: string): ResourceSpec | undefined {
      const cached = extracted.get(type);
      if (cached !== undefined) return cached;
      const entity = resources.get(type);
      if (entity === undefined) return undefined;
      const spec: ResourceSpec = {
        type,
        properties: entity.properties,
        attributes: new Set(Object.keys(entity.attributes ?? {})),
        replaceOnChange: new Set(
          Object.entries(entity.properties)
            .filter(([, property]) => property.causesReplacement === "yes")
            .map(([name]) => name),
        ),
        conditionalReplace: new Set(
          Object.entries(entity.properties)
            .filter(([, property]) => property.causesReplacement === "maybe")
            .map(([name]) => name),
        ),
        definition: (id) => definitions.get(id),
      };
      extracted.set(type, spec);
      return spec;
    },
  };
}

/** The schema database, or undefined when the package is not installed (validation is then skipped). */
export function loadSpecDatabase(): Promise<SpecDatabase | undefined> {
  loading ??= load().catch(() => undefined);
  return loading;
}
