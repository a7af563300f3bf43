/**
 * The seam between the stack engine and the services that own the resources. A provider turns
 * resolved template properties into calls on a service's typed API (src/local/contracts.ts), the
 * way CloudFormation's resource handlers call the service APIs on AWS.
 */
import type { CloudFormationDependencies } from "../dependencies.js";
import type { IamStore } from "./iam-store.js";

/** What Fn::GetAtt can read; Ref is always the physical id. */
export type ResourceAttributes = Record<string, string | string[]>;

export interface ProvisionedResource {
  physicalId: string;
  attributes: ResourceAttributes;
}

export type Properties = Record<string, unknown>;

export interface ProviderContext {
  stackName: string;
  stackId: string;
  logicalId: string;
  region: string;
  accountId: string;
  baseUrl(): string;
  deps: CloudFormationDependencies;
  iam: IamStore;
  /** A name as CloudFormation generates one: `{stack}-{logicalId}-{RANDOM}` within `maxLength`. */
  generateName(options: { maxLength: number; suffix?: string; lowercase?: boolean }): string;
}

export interface ResourceProvider {
  create(properties: Properties, context: ProviderContext): Promise<ProvisionedResource>;
  /**
   * In-place update (only called when no replacing property changed). Returns the attributes
   * after the update. Absent when every property change replaces the resource.
   */
  update?(resource: ProvisionedResource, previous: Properties, next: Properties, context: ProviderContext): Promise<ProvisionedResource>;
  /** Deletes; a resource that is already gone counts as deleted (as CloudFormation treats NotFound). */
  delete(resource: ProvisionedResource, properties: Properties, context: ProviderContext): Promise<void>;
  /** Property names whose change replaces the resource, beyond the registry schema's createOnly ones. */
  alsoReplaceOn?: string[];
  /** Attributes Fn::GetAtt may read, when the provider knows better than the schema snapshot. */
  attributes?: string[];
}
