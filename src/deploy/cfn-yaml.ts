/**
 * The shape of the templates wsq ships (parameters for validation, resources for the schema
 * test), read with the one reader of CloudFormation's YAML short forms.
 */
import { readCloudFormationYaml } from "../shared/cloudformation-yaml.js";

export interface CloudFormationTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Parameters?: Record<
    string,
    { Type: string; Default?: unknown; AllowedValues?: unknown[]; MinValue?: number; MaxValue?: number; AllowedPattern?: string; Description?: string }
  >;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string | string[]; DeletionPolicy?: string }>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown }>;
}

/** A template wsq ships, in its long form, to inspect as plain data (CloudFormation receives the YAML text as is). */
export function parseCloudFormationYaml(text: string): CloudFormationTemplate {
  return readCloudFormationYaml(text) as unknown as CloudFormationTemplate;
}
