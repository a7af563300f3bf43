/**
 * CloudFormation's YAML, read into the JSON form of a template. Short-form tags (`!Ref x`,
 * `!GetAtt a.b`, `!Sub …`) become their long form (`{"Ref": "x"}`, `{"Fn::GetAtt": ["a", "b"]}`),
 * as CloudFormation's own YAML front end does, so everything after sees one shape. Read by the
 * local CloudFormation (templates sent to it) and by deploy (the templates wsq ships).
 *
 * Written against the `yaml` document tree rather than with `customTags`: walking the tree lets one
 * function handle every tag on scalars, sequences and maps alike, and report an unknown tag as a
 * template format error (AWS rejects it) instead of silently reading it as a string.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";

/** A template the YAML front end refuses; the message is CloudFormation's wording. */
export class CloudFormationYamlError extends Error {
  override readonly name = "CloudFormationYamlError";
}

/** https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html */
const FN_TAGS = new Set([
  "Base64",
  "Cidr",
  "FindInMap",
  "GetAtt",
  "GetAZs",
  "ImportValue",
  "Join",
  "Select",
  "Split",
  "Sub",
  "Transform",
  "And",
  "Equals",
  "If",
  "Not",
  "Or",
  "Length",
  "ToJsonString",
]);

export type TemplateValue = null | boolean | number | string | TemplateValue[] | { [key: string]: TemplateValue };

function convert(node: unknown, doc: Document): TemplateValue {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return convert(node.resolve(doc), doc);
  let value: TemplateValue;
  if (isScalar(node)) {
    const raw = node.value;
    value = raw === undefined ? null : (raw as TemplateValue);
    if (typeof raw === "bigint") value = Number(raw);
  } else if (isSeq(node)) {
    value = node.items.map((item) => convert(item, doc));
  } else if (isMap(node)) {
    const object: Record<string, TemplateValue> = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = convert(pair.key, doc);
      object[scalarText(key)] = convert(pair.value, doc);
    }
    value = object;
  } else {
    return null;
  }
  const tag = (node as Node).tag;
  if (tag === undefined || !tag.startsWith("!") || tag.startsWith("!!")) return value;
  return applyShortTag(tag.slice(1), value, node);
}

function applyShortTag(name: string, value: TemplateValue, node: Node): TemplateValue {
  if (name === "Ref") return { Ref: value };
  if (name === "Condition") return { Condition: value };
  if (!FN_TAGS.has(name)) {
    throw new CloudFormationYamlError(`Template format error: YAML not well-formed. (unknown tag !${name}${node.range ? ` at offset ${node.range[0]}` : ""})`);
  }
  if (name === "GetAtt" && typeof value === "string") {
    // `!GetAtt Logical.Attr.Sub` splits at the first dot: nested attribute names keep theirs.
    const dot = value.indexOf(".");
    if (dot <= 0) throw new CloudFormationYamlError(`Template error: every Fn::GetAtt object requires two non-empty parameters`);
    return { "Fn::GetAtt": [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

/** The template in YAML (JSON is YAML too); throws CloudFormationYamlError when CloudFormation would refuse it. */
export function readCloudFormationYaml(text: string): TemplateValue {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new CloudFormationYamlError(`Template format error: YAML not well-formed. (${first?.message.split("\n")[0] ?? "parse error"})`);
  }
  return convert(doc.contents, doc);
}

/** Text of a template value: scalars as written, anything else as JSON (never "[object Object]"). */
export function scalarText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === undefined) return "";
  if (typeof value === "symbol") return value.description ?? "";
  return JSON.stringify(value);
}
