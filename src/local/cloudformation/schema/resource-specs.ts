/**
 * CloudFormation's resource schemas, as the build extracts them (scripts/extract-resource-specs.mjs)
 * from the registry snapshot of @aws-cdk/aws-service-spec into a build output the package ships,
 * dist/local/cloudformation/resource-specs.json: which types exist and which attributes Fn::GetAtt
 * may ask of each, and for the types the local cloud provisions, which properties each has
 * (required, type, allowed values) and which property changes replace the resource
 * (createOnlyProperties, "causesReplacement" in the snapshot).
 *
 * Read once per process, at the first local cloud's start: the file is immutable data shared by
 * every local cloud in the process, which is why the cache may live at module level. Without it
 * the local cloud would skip validation, coercion and replacement detection, so a missing file
 * stops start-up with an error that says how to make it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WsqError } from "../../../shared/errors.js";

/** The file's format; the build writes it, and a file of another format is refused. */
export const RESOURCE_SPECS_FORMAT = "wsq-resource-specs/1";

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

export interface TypeDefinition {
  name: string;
  properties: Record<string, SpecProperty>;
}

/** The file the build writes (see the script named above). */
interface ResourceSpecsFile {
  format: string;
  source: string;
  /** Every type CloudFormation has, with its attribute names. */
  attributes: Record<string, string[]>;
  /** The provisioned types' properties. */
  resources: Record<string, { properties: Record<string, SpecProperty> }>;
  /** Property types the provisioned types use, by the snapshot's id. */
  definitions: Record<string, TypeDefinition>;
}

export interface ResourceSpec {
  type: string;
  properties: Record<string, SpecProperty>;
  attributes: Set<string>;
  /** Properties whose change replaces the resource ("yes"); "maybe" ones are Conditional. */
  replaceOnChange: Set<string>;
  conditionalReplace: Set<string>;
  definition(id: string): TypeDefinition | undefined;
}

export interface SpecDatabase {
  /** Whether CloudFormation has this resource type at all. */
  exists(type: string): boolean;
  /** The Fn::GetAtt attribute names of any type CloudFormation has; undefined for others. */
  attributes(type: string): ReadonlySet<string> | undefined;
  /** The full schema of a type the local cloud provisions; undefined for any other type. */
  resource(type: string): ResourceSpec | undefined;
}

/** Where the build writes the file: the package's dist folder, found from src/ or dist/ alike (same depth). */
export function resourceSpecsPath(packageRoot = fileURLToPath(new URL("../../../../", import.meta.url))): string {
  return join(packageRoot, "dist", "local", "cloudformation", "resource-specs.json");
}

function readSpecsFile(path: string): ResourceSpecsFile {
  let file: ResourceSpecsFile;
  try {
    file = JSON.parse(readFileSync(path, "utf8")) as ResourceSpecsFile;
  } catch (error) {
    throw new WsqError("RESOURCE_SPECS_MISSING", `The local CloudFormation's resource schemas could not be read from ${path}: ${(error as Error).message}`, {
      hint: "This file is a build output: run `npm run build` in the wsq folder (or reinstall wsq).",
      cause: error,
    });
  }
  if (file.format !== RESOURCE_SPECS_FORMAT) {
    throw new WsqError("RESOURCE_SPECS_MISSING", `${path} is in format ${String(file.format)}, not ${RESOURCE_SPECS_FORMAT}.`, {
      hint: "It was written by another wsq version's build: run `npm run build` in the wsq folder (or reinstall wsq).",
    });
  }
  return file;
}

function names(properties: Record<string, SpecProperty>, causesReplacement: "yes" | "maybe"): Set<string> {
  return new Set(
    Object.entries(properties)
      .filter(([, property]) => property.causesReplacement === causesReplacement)
      .map(([name]) => name),
  );
}

function database(file: ResourceSpecsFile): SpecDatabase {
  const attributes = new Map(Object.entries(file.attributes).map(([type, list]) => [type, new Set(list)]));
  const definitions = new Map(Object.entries(file.definitions));
  const resources = new Map<string, ResourceSpec>();
  for (const [type, { properties }] of Object.entries(file.resources)) {
    resources.set(type, {
      type,
      properties,
      attributes: attributes.get(type) ?? new Set(),
      replaceOnChange: names(properties, "yes"),
      conditionalReplace: names(properties, "maybe"),
      definition: (id) => definitions.get(id),
    });
  }
  return {
    exists: (type) => attributes.has(type),
    attributes: (type) => attributes.get(type),
    resource: (type) => resources.get(type),
  };
}

let loaded: SpecDatabase | undefined;

/** The schema database; throws a WsqError naming the file and the fix when the build did not write it. */
export function loadSpecDatabase(path?: string): SpecDatabase {
  if (path !== undefined) return database(readSpecsFile(path));
  return (loaded ??= database(readSpecsFile(resourceSpecsPath())));
}
