// Extracts, at build time, what the local CloudFormation needs from AWS's resource schemas into
// dist/local/cloudformation/resource-specs.json, a build output the package ships. The schemas
// come from @aws-cdk/aws-service-spec (a devDependency: its 15 MB snapshot, db.json.gz, is read
// here and never at run time). Kept:
//  - every resource type CloudFormation has, with its Fn::GetAtt attribute names (a template may
//    name any real type; only the supported ones are provisioned, the others fail with a reason);
//  - for the types the local cloud provisions (RESOURCE_PROVIDERS), each property's type,
//    whether it is required and whether changing it replaces the resource, and every property
//    type definition those reach: what validation, coercion and replacement detection read.
// Runs after tsc (`npm run build`): the supported types come from the compiled providers.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { RESOURCE_PROVIDERS } from "../dist/local/cloudformation/providers/index.js";
import { RESOURCE_SPECS_FORMAT, resourceSpecsPath } from "../dist/local/cloudformation/schema/resource-specs.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const source = "@aws-cdk/aws-service-spec";
const { version } = JSON.parse(readFileSync(require.resolve(`${source}/package.json`), "utf8"));
const db = JSON.parse(gunzipSync(readFileSync(require.resolve(`${source}/db.json.gz`))).toString("utf8"));

const resources = new Map(Object.values(db.schema.resource.entities).map((entity) => [entity.cloudFormationType, entity]));
const allDefinitions = new Map(Object.values(db.schema.typeDefinition.entities).map((entity) => [entity.$id, entity]));

/** A property as the engine reads it: its type, and the two flags (documentation and the rest dropped). */
function property(raw) {
  return { type: raw.type, ...(raw.required ? { required: true } : {}), ...(raw.causesReplacement ? { causesReplacement: raw.causesReplacement } : {}) };
}

function properties(raw) {
  return Object.fromEntries(Object.entries(raw ?? {}).map(([name, value]) => [name, property(value)]));
}

/** The type definitions a type refers to, followed through arrays, maps, unions and other definitions. */
function collectReferences(type, into) {
  if (type.type === "ref") {
    const id = type.reference.$ref;
    if (into.has(id)) return;
    const definition = allDefinitions.get(id);
    if (definition === undefined) return;
    into.set(id, { name: definition.name, properties: properties(definition.properties) });
    for (const inner of Object.values(definition.properties ?? {})) collectReferences(inner.type, into);
  } else if (type.type === "array" || type.type === "map") {
    collectReferences(type.element, into);
  } else if (type.type === "union") {
    for (const member of type.types) collectReferences(member, into);
  }
}

const supported = {};
const definitions = new Map();
for (const type of [...RESOURCE_PROVIDERS.keys()].sort()) {
  const entity = resources.get(type);
  if (entity === undefined) throw new Error(`${type} is provisioned by the local cloud but is not in ${source} ${version}`);
  supported[type] = { properties: properties(entity.properties) };
  for (const raw of Object.values(entity.properties)) collectReferences(raw.type, definitions);
}

const attributes = Object.fromEntries([...resources.keys()].sort().map((type) => [type, Object.keys(resources.get(type).attributes ?? {}).sort()]));
const out = {
  format: RESOURCE_SPECS_FORMAT,
  source: `${source} ${version}`,
  attributes,
  resources: supported,
  definitions: Object.fromEntries([...definitions.entries()].sort(([a], [b]) => Number(a) - Number(b))),
};
const path = resourceSpecsPath(root);
mkdirSync(dirname(path), { recursive: true });
const text = JSON.stringify(out);
writeFileSync(path, text);
process.stdout.write(
  `resource specs: ${path} (${Object.keys(supported).length} provisioned types, ${definitions.size} property types, ${resources.size} types in all; ${Math.round(text.length / 1024)} KB)\n`,
);
