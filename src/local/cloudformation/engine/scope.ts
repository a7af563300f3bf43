/**
 * The evaluation scope of one stack operation: parameters, pseudo parameters, conditions,
 * mappings, exports and the resources provisioned so far.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html
 */
import { TemplateError } from "../template/errors.js";
import { evaluateCondition, NO_VALUE, UNKNOWN, type EvaluationScope, type Resolved } from "../template/intrinsics.js";
import type { ParameterValue } from "../template/parameters.js";
import type { Template } from "../template/template.js";
import type { ResourceAttributes } from "../providers/types.js";

export interface ProvisionedState {
  physicalId: string;
  attributes: ResourceAttributes;
}

export interface ScopeInput {
  template: Template;
  parameters: Record<string, ParameterValue>;
  stackName: string;
  stackId: string;
  region: string;
  accountId: string;
  /** Logical id → state, for resources that exist (others evaluate to UNKNOWN). */
  resources: Map<string, ProvisionedState>;
  /** Attribute names Fn::GetAtt may read for a type; undefined when the type is unknown. */
  attributesOf(type: string): ReadonlySet<string> | undefined;
  importValue(exportName: string): string | undefined;
}

export const PSEUDO_PARAMETERS = [
  "AWS::Region",
  "AWS::AccountId",
  "AWS::StackName",
  "AWS::StackId",
  "AWS::Partition",
  "AWS::URLSuffix",
  "AWS::NoValue",
  "AWS::NotificationARNs",
];

export class StackScope implements EvaluationScope {
  readonly region: string;
  /** Export names read through Fn::ImportValue during this operation. */
  readonly imported = new Set<string>();
  private readonly conditionValues = new Map<string, boolean>();
  private readonly evaluating = new Set<string>();
  /** Resources whose Condition holds. */
  readonly active: Set<string>;

  constructor(private readonly input: ScopeInput) {
    this.region = input.region;
    this.active = new Set(
      [...input.template.resources.values()]
        .filter((resource) => resource.condition === undefined || this.condition(resource.condition))
        .map((resource) => resource.logicalId),
    );
  }

  isKnownName(name: string): boolean {
    return PSEUDO_PARAMETERS.includes(name) || name in this.input.parameters;
  }

  ref(name: string): Resolved | undefined {
    switch (name) {
      case "AWS::Region":
        return this.input.region;
      case "AWS::AccountId":
        return this.input.accountId;
      case "AWS::StackName":
        return this.input.stackName;
      case "AWS::StackId":
        return this.input.stackId;
      case "AWS::Partition":
        return "aws";
      case "AWS::URLSuffix":
        return "amazonaws.com";
      case "AWS::NoValue":
        return NO_VALUE;
      case "AWS::NotificationARNs":
        return [];
      default:
        break;
    }
    if (name in this.input.parameters) return this.input.parameters[name]!;
    if (this.input.template.resources.has(name)) {
      if (!this.active.has(name)) return undefined;
      return this.input.resources.get(name)?.physicalId ?? UNKNOWN;
    }
    return undefined;
  }

  getAtt(logicalId: string, attribute: string): Resolved {
    const definition = this.input.template.resources.get(logicalId);
    if (definition === undefined || !this.active.has(logicalId)) {
      throw new TemplateError(`Template error: instance of Fn::GetAtt references undefined resource ${logicalId}`);
    }
    const allowed = this.input.attributesOf(definition.type);
    if (allowed !== undefined && !allowed.has(attribute)) {
      throw new TemplateError(`Template error: resource ${logicalId} does not support attribute type ${attribute} in Fn::GetAtt`);
    }
    const state = this.input.resources.get(logicalId);
    if (state === undefined) return UNKNOWN;
    const value = state.attributes[attribute];
    if (value === undefined) throw new TemplateError(`Template error: resource ${logicalId} does not support attribute type ${attribute} in Fn::GetAtt`);
    return value;
  }

  condition(name: string): boolean {
    const known = this.conditionValues.get(name);
    if (known !== undefined) return known;
    const expression = this.input.template.conditions[name];
    if (expression === undefined)
      throw new TemplateError(`Template format error: Unresolved dependencies [${name}]. Cannot reference resources in the Conditions block of the template`);
    if (this.evaluating.has(name)) throw new TemplateError(`Template error: Circular dependency between conditions: [${[...this.evaluating].join(", ")}]`);
    this.evaluating.add(name);
    try {
      const value = evaluateCondition(expression, this.conditionScope());
      this.conditionValues.set(name, value);
      return value;
    } finally {
      this.evaluating.delete(name);
    }
  }

  /** Conditions may read parameters and other conditions, never resources. */
  private conditionScope(): EvaluationScope {
    return {
      region: this.region,
      ref: (name) => (this.input.template.resources.has(name) ? undefined : this.ref(name)),
      getAtt: (logicalId) => {
        throw new TemplateError(`Template error: Cannot reference resources in the Conditions block of the template (Fn::GetAtt ${logicalId})`);
      },
      condition: (name) => this.condition(name),
      mapping: (name) => this.mapping(name),
      importValue: (name) => this.importValue(name),
    };
  }

  mapping(name: string): Template["mappings"][string] | undefined {
    return this.input.template.mappings[name];
  }

  importValue(exportName: string): string {
    const value = this.input.importValue(exportName);
    if (value === undefined) throw new TemplateError(`No export named ${exportName} found.`);
    this.imported.add(exportName);
    return value;
  }

  setResource(logicalId: string, state: ProvisionedState | undefined): void {
    if (state === undefined) this.input.resources.delete(logicalId);
    else this.input.resources.set(logicalId, state);
  }

  resourceState(logicalId: string): ProvisionedState | undefined {
    return this.input.resources.get(logicalId);
  }
}
