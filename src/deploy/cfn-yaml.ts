import { parse, type CollectionTag, type ScalarTag, type YAMLMap, type YAMLSeq } from "yaml";

/**
 * CloudFormation's YAML short forms (`!Ref X`, `!GetAtt A.B`, `!Sub "…"`, `!Join [..]`, …) turned
 * into their JSON long forms, so the template can be inspected as plain data (parameters for
 * validation, resources for the schema test). CloudFormation itself receives the YAML text as is.
 */
const FUNCTIONS = [
  "And",
  "Base64",
  "Cidr",
  "Equals",
  "FindInMap",
  "GetAZs",
  "If",
  "ImportValue",
  "Join",
  "Not",
  "Or",
  "Select",
  "Split",
  "Sub",
  "Transform",
  "Condition",
  "ToJsonString",
  "Length",
];

function longName(name: string): string {
  return name === "Ref" || name === "Condition" ? name : `Fn::${name}`;
}

function tagsFor(name: string): (ScalarTag | CollectionTag)[] {
  const key = longName(name);
  const scalar: ScalarTag = {
    tag: `!${name}`,
    resolve: (value: string) => (name === "GetAtt" ? { [key]: value.split(".", 2) } : { [key]: value }),
  };
  const seq: CollectionTag = { tag: `!${name}`, collection: "seq", resolve: (value) => ({ [key]: (value as YAMLSeq.Parsed).toJSON() }) };
  const map: CollectionTag = { tag: `!${name}`, collection: "map", resolve: (value) => ({ [key]: (value as YAMLMap.Parsed).toJSON() }) };
  return [scalar, seq, map];
}

const CUSTOM_TAGS = ["Ref", "GetAtt", ...FUNCTIONS].flatMap(tagsFor);

export type TemplateValue = unknown;

export interface CloudFormationTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Parameters?: Record<
    string,
    { Type: string; Default?: unknown; AllowedValues?: unknown[]; MinValue?: number; MaxValue?: number; AllowedPattern?: string; Description?: string }
  >;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Resources: Record<string, { Type: string; Properties?: Record<string, TemplateValue>; DependsOn?: string | string[]; DeletionPolicy?: string }>;
  Outputs?: Record<string, { Value: TemplateValue; Description?: string; Export?: unknown }>;
}

export function parseCloudFormationYaml(text: string): CloudFormationTemplate {
  return parse(text, { customTags: CUSTOM_TAGS }) as CloudFormationTemplate;
}
