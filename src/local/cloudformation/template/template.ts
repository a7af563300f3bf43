/**
 * The structure of a template: its sections checked as CloudFormation checks them before it
 * creates anything (what ValidateTemplate and CreateStack reject synchronously).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html
 */
import { TemplateError } from "./errors.js";
import { isIntrinsic } from "./intrinsics.js";
import { parseTemplateBody } from "./parse.js";
import { scalarText, type TemplateValue } from "../../../shared/cloudformation-yaml.js";

const TOP_LEVEL_SECTIONS = new Set([
  "AWSTemplateFormatVersion",
  "Description",
  "Metadata",
  "Parameters",
  "Rules",
  "Mappings",
  "Conditions",
  "Transform",
  "Resources",
  "Outputs",
]);
const RESOURCE_ATTRIBUTES = new Set([
  "Type",
  "Properties",
  "DependsOn",
  "DeletionPolicy",
  "UpdateReplacePolicy",
  "Condition",
  "Metadata",
  "CreationPolicy",
  "UpdatePolicy",
]);
const DELETION_POLICIES = new Set(["Delete", "Retain", "RetainExceptOnCreate", "Snapshot"]);
/** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html */
export const MAX_RESOURCES = 500;
export const MAX_PARAMETERS = 200;
export const MAX_OUTPUTS = 200;
const LOGICAL_ID = /^[A-Za-z0-9]+$/;

export interface ResourceDefinition {
  logicalId: string;
  type: string;
  properties: Record<string, TemplateValue>;
  dependsOn: string[];
  deletionPolicy: string;
  updateReplacePolicy: string;
  condition: string | undefined;
}

export interface ParameterDefinition {
  name: string;
  type: string;
  defaultValue: string | undefined;
  allowedValues: string[] | undefined;
  allowedPattern: string | undefined;
  minLength: number | undefined;
  maxLength: number | undefined;
  minValue: number | undefined;
  maxValue: number | undefined;
  noEcho: boolean;
  description: string | undefined;
  constraintDescription: string | undefined;
}

export interface OutputDefinition {
  key: string;
  value: TemplateValue;
  description: string | undefined;
  exportName: TemplateValue | undefined;
  condition: string | undefined;
}

export interface Template {
  body: string;
  raw: Record<string, TemplateValue>;
  description: string | undefined;
  parameters: Map<string, ParameterDefinition>;
  mappings: Record<string, Record<string, Record<string, TemplateValue>>>;
  conditions: Record<string, TemplateValue>;
  resources: Map<string, ResourceDefinition>;
  outputs: OutputDefinition[];
}

function isObject(value: unknown): value is Record<string, TemplateValue> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function optionalNumber(value: TemplateValue | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  if (!Number.isFinite(number)) throw new TemplateError(`Template format error: ${what} must be a number`);
  return number;
}

function parseParameter(name: string, spec: TemplateValue): ParameterDefinition {
  if (!isObject(spec)) throw new TemplateError(`Template format error: Every Parameters object must contain a Type member.`);
  if (typeof spec.Type !== "string") throw new TemplateError(`Template format error: Every Parameters object must contain a Type member.`);
  const type = spec.Type;
  const known =
    type === "String" ||
    type === "Number" ||
    type === "CommaDelimitedList" ||
    type === "List<Number>" ||
    /^AWS::EC2::[A-Za-z:]+$/.test(type) ||
    /^List<AWS::EC2::[A-Za-z:]+>$/.test(type) ||
    type.startsWith("AWS::SSM::Parameter::");
  if (!known) throw new TemplateError(`Template format error: Unrecognized parameter type: ${type}`);
  if (type.startsWith("AWS::SSM::Parameter::")) {
    throw new TemplateError(
      `Template format error: Parameter ${name} has type ${type}; SSM parameter types are not supported by the wsq local cloud (it has no Parameter Store)`,
    );
  }
  const allowed = spec.AllowedValues;
  if (allowed !== undefined && !Array.isArray(allowed)) throw new TemplateError(`Template format error: Every AllowedValues member must be a list`);
  const text = (value: TemplateValue | undefined): string | undefined =>
    value === undefined || value === null ? undefined : Array.isArray(value) ? value.map(scalarText).join(",") : scalarText(value);
  for (const key of Object.keys(spec)) {
    if (
      ![
        "Type",
        "Default",
        "AllowedValues",
        "AllowedPattern",
        "MinLength",
        "MaxLength",
        "MinValue",
        "MaxValue",
        "NoEcho",
        "Description",
        "ConstraintDescription",
      ].includes(key)
    ) {
      throw new TemplateError(`Template format error: Invalid template parameter property '${key}'`);
    }
  }
  return {
    name,
    type,
    defaultValue: text(spec.Default),
    allowedValues: allowed?.map((value) => scalarText(value)),
    allowedPattern: text(spec.AllowedPattern),
    minLength: optionalNumber(spec.MinLength, `MinLength of parameter ${name}`),
    maxLength: optionalNumber(spec.MaxLength, `MaxLength of parameter ${name}`),
    minValue: optionalNumber(spec.MinValue, `MinValue of parameter ${name}`),
    maxValue: optionalNumber(spec.MaxValue, `MaxValue of parameter ${name}`),
    noEcho: spec.NoEcho === true || spec.NoEcho === "true",
    description: text(spec.Description),
    constraintDescription: text(spec.ConstraintDescription),
  };
}

function parseResource(logicalId: string, spec: TemplateValue, conditions: Record<string, TemplateValue>): ResourceDefinition {
  if (!LOGICAL_ID.test(logicalId)) throw new TemplateError(`Template format error: Resource name ${logicalId} is non alphanumeric.`);
  if (!isObject(spec) || typeof spec.Type !== "string") {
    throw new TemplateError(`Template format error: [/Resources/${logicalId}] Every Resources object must contain a Type member.`);
  }
  for (const key of Object.keys(spec)) {
    if (!RESOURCE_ATTRIBUTES.has(key)) throw new TemplateError(`Template format error: Unrecognized resource attribute [${key}] in resource ${logicalId}`);
  }
  const properties = spec.Properties ?? {};
  if (!isObject(properties)) throw new TemplateError(`Template format error: [/Resources/${logicalId}/Properties] Properties must be an object`);
  let dependsOn: string[] = [];
  if (typeof spec.DependsOn === "string") dependsOn = [spec.DependsOn];
  else if (Array.isArray(spec.DependsOn) && spec.DependsOn.every((item) => typeof item === "string")) dependsOn = spec.DependsOn;
  else if (spec.DependsOn !== undefined) throw new TemplateError(`Template format error: DependsOn must be a string or list of strings.`);
  const policy = (value: TemplateValue | undefined, attribute: string): string => {
    if (value === undefined) return "Delete";
    if (typeof value !== "string" || !DELETION_POLICIES.has(value)) {
      throw new TemplateError(`Template format error: Unrecognized ${attribute} ${JSON.stringify(value)} for resource ${logicalId}`);
    }
    return value;
  };
  let condition: string | undefined;
  if (spec.Condition !== undefined) {
    if (typeof spec.Condition !== "string") throw new TemplateError(`Template format error: Every Condition member must be a string.`);
    if (!(spec.Condition in conditions))
      throw new TemplateError(
        `Template format error: Unresolved dependencies [${spec.Condition}]. Cannot reference resources in the Conditions block of the template`,
      );
    condition = spec.Condition;
  }
  return {
    logicalId,
    type: spec.Type,
    properties,
    dependsOn,
    deletionPolicy: policy(spec.DeletionPolicy, "DeletionPolicy"),
    updateReplacePolicy: policy(spec.UpdateReplacePolicy, "UpdateReplacePolicy"),
    condition,
  };
}

/** Parses and structurally validates a template body. Throws TemplateError (ValidationError). */
export function loadTemplate(body: string, maxBytes = MAX_TEMPLATE_BODY_BYTES_LIMIT): Template {
  if (Buffer.byteLength(body, "utf8") > maxBytes) {
    throw new TemplateError(
      `1 validation error detected: Value '[...]' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${maxBytes}`,
    );
  }
  const raw = parseTemplateBody(body);
  const unknownSections = Object.keys(raw).filter((key) => !TOP_LEVEL_SECTIONS.has(key));
  if (unknownSections.length > 0) throw new TemplateError(`Template format error: Invalid template property or properties [${unknownSections.join(", ")}]`);
  if (raw.Transform !== undefined) {
    throw new TemplateError(
      `Template format error: Transform ${JSON.stringify(raw.Transform)} is not supported by the wsq local cloud; deploy the processed template instead`,
    );
  }
  if (raw.AWSTemplateFormatVersion !== undefined && raw.AWSTemplateFormatVersion !== "2010-09-09") {
    throw new TemplateError(`Template format error: Unsupported template version ${scalarText(raw.AWSTemplateFormatVersion)}`);
  }
  if (raw.Description !== undefined && typeof raw.Description !== "string")
    throw new TemplateError("Template format error: Every Description member must be a string.");
  const section = (name: string): Record<string, TemplateValue> => {
    const value = raw[name];
    if (value === undefined || value === null) return {};
    if (!isObject(value)) throw new TemplateError(`Template format error: ${name} section must be an object`);
    return value;
  };

  const parameters = new Map<string, ParameterDefinition>();
  const parameterSection = section("Parameters");
  if (Object.keys(parameterSection).length > MAX_PARAMETERS)
    throw new TemplateError(`Template format error: Parameter count ${Object.keys(parameterSection).length} is greater than max allowed ${MAX_PARAMETERS}`);
  for (const [name, spec] of Object.entries(parameterSection)) parameters.set(name, parseParameter(name, spec));

  const mappings: Template["mappings"] = {};
  for (const [name, spec] of Object.entries(section("Mappings"))) {
    if (!isObject(spec) || !Object.values(spec).every(isObject)) throw new TemplateError(`Template format error: Every Mappings member ${name} must be a map`);
    mappings[name] = spec as Record<string, Record<string, TemplateValue>>;
  }

  const conditions = section("Conditions");
  for (const [name, expression] of Object.entries(conditions)) {
    if (!isIntrinsic(expression)) throw new TemplateError(`Template format error: Condition ${name} must be a condition function`);
  }

  const resourceSection = section("Resources");
  const resourceNames = Object.keys(resourceSection);
  if (resourceNames.length === 0) throw new TemplateError("Template format error: At least one Resources member must be defined.");
  if (resourceNames.length > MAX_RESOURCES)
    throw new TemplateError(`Template format error: Number of resources, ${resourceNames.length}, is greater than the maximum allowed, ${MAX_RESOURCES}`);
  const resources = new Map<string, ResourceDefinition>();
  for (const [logicalId, spec] of Object.entries(resourceSection)) {
    if (parameters.has(logicalId)) throw new TemplateError(`Template format error: Resource and parameter names must be unique: ${logicalId}`);
    resources.set(logicalId, parseResource(logicalId, spec, conditions));
  }

  const outputs: OutputDefinition[] = [];
  const outputSection = section("Outputs");
  if (Object.keys(outputSection).length > MAX_OUTPUTS)
    throw new TemplateError(`Template format error: Output count ${Object.keys(outputSection).length} is greater than max allowed ${MAX_OUTPUTS}`);
  for (const [key, spec] of Object.entries(outputSection)) {
    if (!isObject(spec) || spec.Value === undefined)
      throw new TemplateError(`Template format error: Every Outputs member must contain a Value object, the Value object must not be empty`);
    let exportName: TemplateValue | undefined;
    if (spec.Export !== undefined) {
      if (!isObject(spec.Export) || spec.Export.Name === undefined)
        throw new TemplateError(
          `Template format error: Output ${key} is malformed. The Name field of every Export member must be specified and consist only of alphanumeric characters, colons, or hyphens.`,
        );
      exportName = spec.Export.Name;
    }
    const condition = typeof spec.Condition === "string" ? spec.Condition : undefined;
    if (condition !== undefined && !(condition in conditions))
      throw new TemplateError(
        `Template format error: Unresolved dependencies [${condition}]. Cannot reference resources in the Conditions block of the template`,
      );
    outputs.push({ key, value: spec.Value, description: typeof spec.Description === "string" ? spec.Description : undefined, exportName, condition });
  }

  return {
    body,
    raw,
    description: typeof raw.Description === "string" ? raw.Description : undefined,
    parameters,
    mappings,
    conditions,
    resources,
    outputs,
  };
}

/** CreateStack's TemplateBody limit in bytes (TemplateURL allows MAX_TEMPLATE_URL_BYTES). */
export const MAX_TEMPLATE_BODY_BYTES_LIMIT = 51_200;
export const MAX_TEMPLATE_URL_BYTES = 1_048_576;
