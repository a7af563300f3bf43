/**
 * The CloudFormation API: each action validates synchronously what AWS validates before it
 * answers (template format, parameters, capabilities, stack state), records the new state, and
 * leaves the long work to StackOperations, which runs after the reply, as on AWS.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Operations.html
 */
import { scalarText } from "../../../shared/cloudformation-yaml.js";
import { randomUUID } from "node:crypto";
import { AwsServiceError } from "../../aws-error.js";
import { TemplateError, validationError } from "../template/errors.js";
import { resolveValue } from "../template/intrinsics.js";
import { buildDependencyGraph } from "../template/graph.js";
import { maskedParameterValue, resolveParameters, type SuppliedParameter } from "../template/parameters.js";
import { loadTemplate, MAX_TEMPLATE_URL_BYTES, type Template } from "../template/template.js";
import { STACK_TYPE, type Desired, type PlannedChange, type StackOperations } from "./operations.js";
import type { ChangeSetRecord, CloudFormationStore, StackRecord } from "./store.js";
import type { SpecDatabase } from "../schema/resource-specs.js";
import type { S3Api } from "../../contracts.js";

/** https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html */
const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;
const CHANGE_SET_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;
const EVENTS_PAGE_SIZE = 100;
const UPDATABLE = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"]);
const IAM_TYPES = new Set([
  "AWS::IAM::Role",
  "AWS::IAM::Policy",
  "AWS::IAM::ManagedPolicy",
  "AWS::IAM::User",
  "AWS::IAM::Group",
  "AWS::IAM::AccessKey",
  "AWS::IAM::InstanceProfile",
  "AWS::IAM::UserToGroupAddition",
]);
const NAMED_IAM_PROPERTIES: Record<string, string> = {
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
  "AWS::IAM::User": "UserName",
  "AWS::IAM::Group": "GroupName",
  "AWS::IAM::InstanceProfile": "InstanceProfileName",
};
const NO_CHANGES_REASON = "The submitted information didn't contain changes. Submit different information to create a change set.";

export type Input = Record<string, unknown>;
export type Output = Record<string, unknown>;

export interface ServiceEnvironment {
  store: CloudFormationStore;
  operations: StackOperations;
  region: string;
  accountId: string;
  now(): number;
  s3: S3Api;
  specs: SpecDatabase;
}

function text(input: Input, name: string): string | undefined {
  const value = input[name];
  return typeof value === "string" ? value : undefined;
}

function required(input: Input, name: string, member: string): string {
  const value = text(input, name);
  if (value === undefined || value === "")
    throw validationError(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  return value;
}

function list<T = Input>(input: Input, name: string): T[] {
  const value = input[name];
  return Array.isArray(value) ? (value as T[]) : [];
}

function flag(input: Input, name: string): boolean {
  return text(input, name) === "true";
}

function suppliedParameters(input: Input): SuppliedParameter[] {
  return list(input, "Parameters").map((parameter) => ({
    key: scalarText(parameter.ParameterKey ?? ""),
    value: typeof parameter.ParameterValue === "string" ? parameter.ParameterValue : undefined,
    usePreviousValue: parameter.UsePreviousValue === "true",
  }));
}

function tagsOf(input: Input): { Key: string; Value: string }[] {
  return list(input, "Tags").map((tag) => ({ Key: scalarText(tag.Key ?? ""), Value: scalarText(tag.Value ?? "") }));
}

export class CloudFormationService {
  private readonly templates = new Map<string, Template>();

  constructor(private readonly env: ServiceEnvironment) {}

  // ---------------------------------------------------------------- helpers
  private parse(body: string, maxBytes?: number): Template {
    const cached = this.templates.get(body);
    if (cached !== undefined) return cached;
    const template = loadTemplate(body, maxBytes);
    if (this.templates.size > 64) this.templates.clear();
    this.templates.set(body, template);
    return template;
  }

  private async templateBody(input: Input, stack?: StackRecord): Promise<{ body: string; maxBytes?: number }> {
    const body = text(input, "TemplateBody");
    const url = text(input, "TemplateURL");
    if (flag(input, "UsePreviousTemplate")) {
      if (body !== undefined || url !== undefined) throw validationError("You cannot specify both usePreviousTemplate and Template Body/Template URL");
      if (stack === undefined) throw validationError("UsePreviousTemplate can only be used with an existing stack");
      return { body: stack.templateBody };
    }
    if (body !== undefined && url !== undefined) throw validationError("You cannot specify both Template Body and Template URL.");
    if (body !== undefined) return { body };
    if (url !== undefined) return { body: await this.fetchTemplate(url), maxBytes: MAX_TEMPLATE_URL_BYTES };
    throw validationError("Either Template URL or Template Body must be specified.");
  }

  /** TemplateURL: an S3 object URL, path-style on the local endpoint or any AWS S3 URL form. */
  private async fetchTemplate(url: string): Promise<string> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw validationError("TemplateURL must be a supported URL.");
    }
    const path = decodeURIComponent(parsed.pathname).replace(/^\//, "");
    const virtualHost = /^(.+)\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com$/.exec(parsed.hostname);
    const [bucket, key] = virtualHost !== null ? [virtualHost[1]!, path] : [path.slice(0, path.indexOf("/")), path.slice(path.indexOf("/") + 1)];
    if (bucket === "" || key === "") throw validationError("TemplateURL must be a supported URL.");
    try {
      const object = await this.env.s3.getObject(bucket, key);
      return object.body.toString("utf8");
    } catch {
      throw validationError(`S3 error: Access Denied or the object ${url} does not exist`);
    }
  }

  private stackId(name: string): string {
    return `arn:aws:cloudformation:${this.env.region}:${this.env.accountId}:stack/${name}/${randomUUID()}`;
  }

  /** A stack by name (live only) or by id (also deleted ones), as every Describe* finds it. */
  findStack(nameOrId: string): StackRecord {
    const stack = nameOrId.startsWith("arn:") ? this.env.store.stackById(nameOrId) : this.env.store.liveStackByName(nameOrId);
    if (stack === undefined) throw validationError(`Stack with id ${nameOrId} does not exist`);
    return stack;
  }

  private checkStackName(name: string): void {
    if (!STACK_NAME.test(name)) {
      throw validationError(
        `1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
      );
    }
  }

  /**
   * Everything CloudFormation checks before it accepts a template for a stack: structure,
   * resource types, parameters, conditions, references and cycles, and the capabilities the
   * template needs. Returns what the operation will work towards.
   */
  private async prepare(
    stack: StackRecord,
    body: string,
    maxBytes: number | undefined,
    supplied: SuppliedParameter[],
    capabilities: string[],
    previous: Record<string, string> = {},
  ): Promise<Desired & { given: Record<string, string> }> {
    const template = this.parse(body, maxBytes);
    const unknownTypes = [...template.resources.values()]
      .map((resource) => resource.type)
      .filter((type) => !this.env.specs.exists(type) && !type.startsWith("Custom::"));
    if (unknownTypes.length > 0) throw new TemplateError(`Template format error: Unrecognized resource types: [${[...new Set(unknownTypes)].join(", ")}]`);
    const { given, values } = resolveParameters(template, supplied, previous);
    const desired: Desired = { template, values };
    // A dry evaluation with no resources: catches undefined references, bad GetAtt attributes,
    // cycles, missing mappings and imports now, as AWS does, rather than half-way through.
    const scope = await this.env.operations.scopeFor(stack, desired, []);
    const active = [...template.resources.values()].filter((resource) => scope.active.has(resource.logicalId));
    buildDependencyGraph(
      active,
      (name) => scope.condition(name),
      (name) => scope.isKnownName(name),
    );
    for (const resource of active) resolveValue(resource.properties, scope);
    for (const output of template.outputs) {
      if (output.condition !== undefined && !scope.condition(output.condition)) continue;
      resolveValue(output.value, scope);
      if (output.exportName !== undefined) resolveValue(output.exportName, scope);
    }
    this.checkCapabilities(
      active.map((resource) => ({ type: resource.type, properties: resource.properties })),
      capabilities,
    );
    return { ...desired, given };
  }

  private checkCapabilities(resources: { type: string; properties: Record<string, unknown> }[], capabilities: string[]): void {
    const iam = resources.filter((resource) => IAM_TYPES.has(resource.type));
    if (iam.length === 0) return;
    const named = iam.some(
      (resource) => NAMED_IAM_PROPERTIES[resource.type] !== undefined && resource.properties[NAMED_IAM_PROPERTIES[resource.type]!] !== undefined,
    );
    if (named && !capabilities.includes("CAPABILITY_NAMED_IAM")) {
      throw new AwsServiceError("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]");
    }
    if (!capabilities.includes("CAPABILITY_IAM") && !capabilities.includes("CAPABILITY_NAMED_IAM")) {
      throw new AwsServiceError("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]");
    }
  }

  private newStack(name: string, input: Input, status: string): StackRecord {
    return {
      stackId: this.stackId(name),
      name,
      status,
      statusReason: undefined,
      description: undefined,
      templateBody: "",
      parameters: {},
      outputs: [],
      capabilities: list<string>(input, "Capabilities"),
      tags: tagsOf(input),
      disableRollback: flag(input, "DisableRollback") || text(input, "OnFailure") === "DO_NOTHING",
      creationTime: this.env.now(),
      lastUpdatedTime: undefined,
      deletionTime: undefined,
      clientRequestToken: text(input, "ClientRequestToken"),
      previous: undefined,
      cleanup: [],
    };
  }

  // ---------------------------------------------------------------- actions
  async ValidateTemplate(input: Input): Promise<Output> {
    const { body, maxBytes } = await this.templateBody(input);
    const template = this.parse(body, maxBytes);
    const iam = [...template.resources.values()].filter((resource) => IAM_TYPES.has(resource.type));
    const named = iam.some(
      (resource) => NAMED_IAM_PROPERTIES[resource.type] !== undefined && resource.properties[NAMED_IAM_PROPERTIES[resource.type]!] !== undefined,
    );
    return {
      Parameters: [...template.parameters.values()].map((parameter) => ({
        ParameterKey: parameter.name,
        DefaultValue: parameter.defaultValue,
        NoEcho: parameter.noEcho,
        Description: parameter.description,
      })),
      Description: template.description,
      ...(iam.length > 0
        ? {
            Capabilities: [named ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM"],
            CapabilitiesReason: `The following resource(s) require capabilities: [${[...new Set(iam.map((resource) => resource.type))].join(", ")}]`,
          }
        : {}),
      DeclaredTransforms: [],
    };
  }

  /** What `aws cloudformation deploy` reads to carry parameters over (StackName or a template). */
  async GetTemplateSummary(input: Input): Promise<Output> {
    const stackName = text(input, "StackName");
    const body =
      stackName !== undefined && text(input, "TemplateBody") === undefined && text(input, "TemplateURL") === undefined
        ? { body: this.findStack(stackName).templateBody, maxBytes: MAX_TEMPLATE_URL_BYTES }
        : await this.templateBody(input);
    const template = this.parse(body.body, body.maxBytes);
    const validated = await this.ValidateTemplate({ TemplateBody: body.body });
    return {
      Parameters: [...template.parameters.values()].map((parameter) => ({
        ParameterKey: parameter.name,
        DefaultValue: parameter.defaultValue,
        ParameterType: parameter.type,
        NoEcho: parameter.noEcho,
        Description: parameter.description,
        ParameterConstraints: parameter.allowedValues === undefined ? {} : { AllowedValues: parameter.allowedValues },
      })),
      Description: template.description,
      Capabilities: validated.Capabilities,
      CapabilitiesReason: validated.CapabilitiesReason,
      ResourceTypes: [...new Set([...template.resources.values()].map((resource) => resource.type))],
      Version: "2010-09-09",
      DeclaredTransforms: [],
    };
  }

  async CreateStack(input: Input): Promise<Output> {
    const name = required(input, "StackName", "stackName");
    this.checkStackName(name);
    const existing = this.env.store.liveStackByName(name);
    if (existing !== undefined) {
      if (existing.clientRequestToken !== undefined && existing.clientRequestToken === text(input, "ClientRequestToken")) return { StackId: existing.stackId };
      throw new AwsServiceError("AlreadyExistsException", `Stack [${name}] already exists`);
    }
    const stack = this.newStack(name, input, "CREATE_IN_PROGRESS");
    const { body, maxBytes } = await this.templateBody(input);
    const desired = await this.prepare(stack, body, maxBytes, suppliedParameters(input), stack.capabilities);
    stack.templateBody = body;
    stack.parameters = desired.given;
    stack.description = desired.template.description;
    this.env.operations.setStackStatus(stack, "CREATE_IN_PROGRESS", "User Initiated");
    this.env.operations.start(stack.stackId, () => this.env.operations.create(stack.stackId, desired));
    return { StackId: stack.stackId };
  }

  private updatable(stack: StackRecord): void {
    if (!UPDATABLE.has(stack.status)) throw validationError(`Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`);
  }

  async UpdateStack(input: Input): Promise<Output> {
    const stack = this.findStack(required(input, "StackName", "stackName"));
    this.updatable(stack);
    const { body, maxBytes } = await this.templateBody(input, stack);
    const capabilities = list<string>(input, "Capabilities");
    const desired = await this.prepare(stack, body, maxBytes, suppliedParameters(input), capabilities, stack.parameters);
    const tags = input.Tags === undefined ? stack.tags : tagsOf(input);
    const changes = await this.env.operations.plan(stack, desired);
    if (
      changes.length === 0 &&
      sameTemplate(stack.templateBody, body) &&
      sameRecord(stack.parameters, desired.given) &&
      JSON.stringify(tags) === JSON.stringify(stack.tags)
    ) {
      throw validationError("No updates are to be performed.");
    }
    this.beginUpdate(stack, body, desired, capabilities, tags, text(input, "ClientRequestToken"));
    return { StackId: stack.stackId };
  }

  private beginUpdate(
    stack: StackRecord,
    body: string,
    desired: Desired & { given: Record<string, string> },
    capabilities: string[],
    tags: StackRecord["tags"],
    token: string | undefined,
    after?: (stack: StackRecord) => void,
  ): void {
    stack.previous = {
      templateBody: stack.templateBody,
      parameters: stack.parameters,
      outputs: stack.outputs,
      resources: this.env.store.resources(stack.stackId),
    };
    stack.templateBody = body;
    stack.parameters = desired.given;
    stack.description = desired.template.description;
    stack.capabilities = capabilities;
    stack.tags = tags;
    stack.clientRequestToken = token;
    stack.lastUpdatedTime = this.env.now();
    this.env.operations.setStackStatus(stack, "UPDATE_IN_PROGRESS", "User Initiated");
    this.env.operations.start(stack.stackId, async () => {
      await this.env.operations.update(stack.stackId, desired);
      after?.(this.env.store.stackById(stack.stackId)!);
    });
  }

  async DeleteStack(input: Input): Promise<Output> {
    const nameOrId = required(input, "StackName", "stackName");
    const stack = nameOrId.startsWith("arn:") ? this.env.store.stackById(nameOrId) : this.env.store.liveStackByName(nameOrId);
    // Deleting a stack that does not exist (any more) succeeds, as on AWS.
    if (stack === undefined || stack.status === "DELETE_COMPLETE" || stack.status === "DELETE_IN_PROGRESS") return {};
    const retain = list<string>(input, "RetainResources");
    if (retain.length > 0 && stack.status !== "DELETE_FAILED") {
      throw validationError("Invalid operation on stack. RetainResources can only be specified when the stack is in the DELETE_FAILED state");
    }
    stack.clientRequestToken = text(input, "ClientRequestToken");
    if (stack.status === "CREATE_IN_PROGRESS" && this.env.operations.isRunning(stack.stackId)) {
      // AWS cancels a create in progress and deletes what it made.
      this.env.operations.cancel(stack.stackId);
      return {};
    }
    if (stack.status === "REVIEW_IN_PROGRESS") {
      this.env.store.deleteChangeSets(stack.stackId);
      this.env.operations.setStackStatus(stack, "DELETE_COMPLETE");
      return {};
    }
    if (stack.status.endsWith("_IN_PROGRESS")) throw validationError(`Stack [${stack.name}] cannot be deleted while in status ${stack.status}`);
    this.env.operations.setStackStatus(stack, "DELETE_IN_PROGRESS", "User Initiated");
    this.env.operations.start(stack.stackId, () => this.env.operations.deleteResources(this.env.store.stackById(stack.stackId)!, retain));
    return {};
  }

  private describeStack(stack: StackRecord): Output {
    let template: Template | undefined;
    try {
      template = stack.templateBody === "" ? undefined : this.parse(stack.templateBody, MAX_TEMPLATE_URL_BYTES);
    } catch {
      template = undefined;
    }
    return {
      StackId: stack.stackId,
      StackName: stack.name,
      ChangeSetId: this.env.store
        .changeSets(stack.stackId)
        .find((changeSet) => changeSet.executionStatus === "EXECUTE_COMPLETE" || changeSet.executionStatus === "EXECUTE_IN_PROGRESS")?.changeSetId,
      Description: stack.description,
      Parameters: Object.entries(stack.parameters).map(([key, value]) => ({
        ParameterKey: key,
        ParameterValue: maskedParameterValue(template?.parameters.get(key), value),
      })),
      CreationTime: new Date(stack.creationTime),
      DeletionTime: stack.deletionTime === undefined ? undefined : new Date(stack.deletionTime),
      LastUpdatedTime: stack.lastUpdatedTime === undefined ? undefined : new Date(stack.lastUpdatedTime),
      StackStatus: stack.status,
      StackStatusReason: stack.statusReason,
      DisableRollback: stack.disableRollback,
      NotificationARNs: [],
      Capabilities: stack.capabilities,
      Outputs: stack.outputs,
      Tags: stack.tags,
      EnableTerminationProtection: false,
      DriftInformation: { StackDriftStatus: "NOT_CHECKED" },
    };
  }

  async DescribeStacks(input: Input): Promise<Output> {
    const name = text(input, "StackName");
    if (name !== undefined) return { Stacks: [this.describeStack(this.findStack(name))] };
    return {
      Stacks: this.env.store
        .listStacks()
        .filter((stack) => stack.status !== "DELETE_COMPLETE")
        .map((stack) => this.describeStack(stack)),
    };
  }

  async ListStacks(input: Input): Promise<Output> {
    const filter = new Set(list<string>(input, "StackStatusFilter"));
    return {
      StackSummaries: this.env.store
        .listStacks()
        .filter((stack) => filter.size === 0 || filter.has(stack.status))
        .map((stack) => ({
          StackId: stack.stackId,
          StackName: stack.name,
          TemplateDescription: stack.description,
          CreationTime: new Date(stack.creationTime),
          LastUpdatedTime: stack.lastUpdatedTime === undefined ? undefined : new Date(stack.lastUpdatedTime),
          DeletionTime: stack.deletionTime === undefined ? undefined : new Date(stack.deletionTime),
          StackStatus: stack.status,
          StackStatusReason: stack.statusReason,
          DriftInformation: { StackDriftStatus: "NOT_CHECKED" },
        })),
    };
  }

  async DescribeStackEvents(input: Input): Promise<Output> {
    const stack = this.findStack(required(input, "StackName", "stackName"));
    const offset = Number(text(input, "NextToken") ?? 0) || 0;
    const events = this.env.store.events(stack.stackId, offset, EVENTS_PAGE_SIZE + 1);
    return {
      StackEvents: events.slice(0, EVENTS_PAGE_SIZE).map((event) => ({
        StackId: event.stackId,
        EventId: event.eventId,
        StackName: event.stackName,
        LogicalResourceId: event.logicalId,
        PhysicalResourceId: event.physicalId,
        ResourceType: event.type,
        Timestamp: new Date(event.timestamp),
        ResourceStatus: event.status,
        ResourceStatusReason: event.reason,
        ResourceProperties: event.properties,
        ClientRequestToken: event.clientRequestToken,
      })),
      NextToken: events.length > EVENTS_PAGE_SIZE ? String(offset + EVENTS_PAGE_SIZE) : undefined,
    };
  }

  private resourceRows(stack: StackRecord): ReturnType<CloudFormationStore["resources"]> {
    return this.env.store.resources(stack.stackId);
  }

  async DescribeStackResource(input: Input): Promise<Output> {
    const stack = this.findStack(required(input, "StackName", "stackName"));
    const logicalId = required(input, "LogicalResourceId", "logicalResourceId");
    const resource = this.resourceRows(stack).find((row) => row.logicalId === logicalId);
    if (resource === undefined) throw validationError(`Resource ${logicalId} does not exist for stack ${stack.name}`);
    return {
      StackResourceDetail: {
        StackName: stack.name,
        StackId: stack.stackId,
        LogicalResourceId: resource.logicalId,
        PhysicalResourceId: resource.physicalId,
        ResourceType: resource.type,
        LastUpdatedTimestamp: new Date(resource.lastUpdated),
        ResourceStatus: resource.status,
        ResourceStatusReason: resource.statusReason,
        Metadata: "{}",
        DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" },
      },
    };
  }

  async DescribeStackResources(input: Input): Promise<Output> {
    const physicalId = text(input, "PhysicalResourceId");
    let stack: StackRecord | undefined;
    const name = text(input, "StackName");
    if (name !== undefined) stack = this.findStack(name);
    else if (physicalId !== undefined) {
      stack = this.env.store
        .listStacks()
        .find((candidate) => candidate.status !== "DELETE_COMPLETE" && this.resourceRows(candidate).some((row) => row.physicalId === physicalId));
      if (stack === undefined) throw validationError(`Stack for ${physicalId} does not exist`);
    } else {
      throw validationError("Either StackName or PhysicalResourceId must be specified.");
    }
    const logicalId = text(input, "LogicalResourceId");
    return {
      StackResources: this.resourceRows(stack)
        .filter((row) => logicalId === undefined || row.logicalId === logicalId)
        .map((row) => ({
          StackName: stack.name,
          StackId: stack.stackId,
          LogicalResourceId: row.logicalId,
          PhysicalResourceId: row.physicalId,
          ResourceType: row.type,
          Timestamp: new Date(row.lastUpdated),
          ResourceStatus: row.status,
          ResourceStatusReason: row.statusReason,
          DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" },
        })),
    };
  }

  async ListStackResources(input: Input): Promise<Output> {
    const stack = this.findStack(required(input, "StackName", "stackName"));
    return {
      StackResourceSummaries: this.resourceRows(stack).map((row) => ({
        LogicalResourceId: row.logicalId,
        PhysicalResourceId: row.physicalId,
        ResourceType: row.type,
        LastUpdatedTimestamp: new Date(row.lastUpdated),
        ResourceStatus: row.status,
        ResourceStatusReason: row.statusReason,
        DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" },
      })),
    };
  }

  async GetTemplate(input: Input): Promise<Output> {
    const changeSetName = text(input, "ChangeSetName");
    if (changeSetName !== undefined) {
      const changeSet = this.findChangeSet(changeSetName, text(input, "StackName"));
      return { TemplateBody: changeSet.templateBody, StagesAvailable: ["Original", "Processed"] };
    }
    const stack = this.findStack(required(input, "StackName", "stackName"));
    return { TemplateBody: stack.templateBody, StagesAvailable: ["Original", "Processed"] };
  }

  async ListExports(): Promise<Output> {
    return { Exports: this.env.store.exports().map((item) => ({ ExportingStackId: item.stackId, Name: item.name, Value: item.value })) };
  }

  // ---------------------------------------------------------------- change sets
  private findChangeSet(nameOrId: string, stackName: string | undefined): ChangeSetRecord {
    let changeSet: ChangeSetRecord | undefined;
    if (nameOrId.startsWith("arn:")) changeSet = this.env.store.changeSetById(nameOrId);
    else {
      if (stackName === undefined) throw validationError("StackName must be specified if ChangeSetName is not specified as an ARN.");
      const stack = this.findStack(stackName);
      changeSet = this.env.store.changeSetByName(stack.stackId, nameOrId);
    }
    if (changeSet === undefined) throw new AwsServiceError("ChangeSetNotFound", `ChangeSet [${nameOrId}] does not exist`, { status: 404 });
    return changeSet;
  }

  async CreateChangeSet(input: Input): Promise<Output> {
    const stackName = required(input, "StackName", "stackName");
    const changeSetName = required(input, "ChangeSetName", "changeSetName");
    if (!CHANGE_SET_NAME.test(changeSetName)) {
      throw validationError(
        `1 validation error detected: Value '${changeSetName}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
      );
    }
    const type = (text(input, "ChangeSetType") ?? "UPDATE") as "CREATE" | "UPDATE";
    if (type !== "CREATE" && type !== "UPDATE")
      throw validationError(`ChangeSetType ${String(type)} is not supported by the wsq local cloud (CREATE and UPDATE are)`);
    let stack = stackName.startsWith("arn:") ? this.env.store.stackById(stackName) : this.env.store.liveStackByName(stackName);
    if (type === "CREATE") {
      if (stack !== undefined && stack.status !== "REVIEW_IN_PROGRESS") {
        throw validationError(`Stack [${stackName}] already exists and cannot be created again with the changeSet [${changeSetName}].`);
      }
    } else {
      if (stack === undefined || stack.status === "REVIEW_IN_PROGRESS") throw validationError(`Stack [${stackName}] does not exist`);
      this.updatable(stack);
    }
    if (stack !== undefined && this.env.store.changeSetByName(stack.stackId, changeSetName) !== undefined) {
      throw new AwsServiceError("AlreadyExistsException", `ChangeSet [${changeSetName}] already exists`);
    }
    const template = await this.templateBody(input, stack);
    const capabilities = list<string>(input, "Capabilities");
    const candidate = stack ?? this.newStack(stackName, input, "REVIEW_IN_PROGRESS");
    if (stack === undefined) this.checkStackName(stackName);
    // Template and capability problems are rejected now; evaluation problems fail the change set.
    this.parse(template.body, template.maxBytes);
    const changeSet: ChangeSetRecord = {
      changeSetId: `arn:aws:cloudformation:${this.env.region}:${this.env.accountId}:changeSet/${changeSetName}/${randomUUID()}`,
      name: changeSetName,
      stackId: candidate.stackId,
      stackName: candidate.name,
      type,
      status: "CREATE_PENDING",
      executionStatus: "UNAVAILABLE",
      statusReason: undefined,
      description: text(input, "Description"),
      templateBody: template.body,
      parameters: suppliedParameters(input),
      capabilities,
      tags: input.Tags === undefined ? candidate.tags : tagsOf(input),
      changes: [],
      creationTime: this.env.now(),
    };
    const desiredPromise = this.prepare(candidate, template.body, template.maxBytes, changeSet.parameters, capabilities, stack?.parameters ?? {});
    let desired: Awaited<typeof desiredPromise> | undefined;
    let failure: string | undefined;
    try {
      desired = await desiredPromise;
    } catch (error) {
      if (error instanceof AwsServiceError && error.code === "InsufficientCapabilitiesException") throw error;
      if (error instanceof AwsServiceError && error.code === "ValidationError" && type === "CREATE" && stack === undefined) throw error;
      failure = (error as Error).message;
    }
    if (stack === undefined) {
      stack = candidate;
      this.env.operations.setStackStatus(stack, "REVIEW_IN_PROGRESS", "User Initiated");
    }
    this.env.store.putChangeSet(changeSet);
    const owner = stack;
    // Computing the changes runs after the reply, as on AWS (CREATE_PENDING → CREATE_COMPLETE).
    this.env.operations.start(`changeset:${changeSet.changeSetId}`, async () => {
      const current = this.env.store.changeSetById(changeSet.changeSetId);
      if (current === undefined) return;
      try {
        if (failure !== undefined || desired === undefined) throw validationError(failure ?? "Template error");
        const changes = await this.env.operations.plan(owner, desired);
        const unchanged =
          type === "UPDATE" && changes.length === 0 && sameTemplate(owner.templateBody, template.body) && sameRecord(owner.parameters, desired.given);
        if (unchanged) {
          Object.assign(current, { status: "FAILED", statusReason: NO_CHANGES_REASON, executionStatus: "UNAVAILABLE" });
        } else {
          Object.assign(current, { status: "CREATE_COMPLETE", executionStatus: "AVAILABLE", changes: changes.map(changeShape) });
        }
      } catch (error) {
        Object.assign(current, { status: "FAILED", statusReason: (error as Error).message, executionStatus: "UNAVAILABLE" });
      }
      this.env.store.putChangeSet(current);
    });
    return { Id: changeSet.changeSetId, StackId: stack.stackId };
  }

  async DescribeChangeSet(input: Input): Promise<Output> {
    const changeSet = this.findChangeSet(required(input, "ChangeSetName", "changeSetName"), text(input, "StackName"));
    const stack = this.env.store.stackById(changeSet.stackId);
    let template: Template | undefined;
    try {
      template = this.parse(changeSet.templateBody, MAX_TEMPLATE_URL_BYTES);
    } catch {
      template = undefined;
    }
    return {
      ChangeSetName: changeSet.name,
      ChangeSetId: changeSet.changeSetId,
      StackId: changeSet.stackId,
      StackName: changeSet.stackName,
      Description: changeSet.description,
      Parameters: changeSet.parameters
        .map((parameter) => ({ key: parameter.key, value: parameter.usePreviousValue ? stack?.parameters[parameter.key] : parameter.value }))
        .filter((parameter) => parameter.value !== undefined)
        .map((parameter) => ({ ParameterKey: parameter.key, ParameterValue: maskedParameterValue(template?.parameters.get(parameter.key), parameter.value!) })),
      CreationTime: new Date(changeSet.creationTime),
      ExecutionStatus: changeSet.executionStatus,
      Status: changeSet.status,
      StatusReason: changeSet.statusReason,
      NotificationARNs: [],
      Capabilities: changeSet.capabilities,
      Tags: changeSet.tags,
      Changes: changeSet.changes,
      IncludeNestedStacks: false,
    };
  }

  async ListChangeSets(input: Input): Promise<Output> {
    const stack = this.findStack(required(input, "StackName", "stackName"));
    return {
      Summaries: this.env.store.changeSets(stack.stackId).map((changeSet) => ({
        StackId: changeSet.stackId,
        StackName: changeSet.stackName,
        ChangeSetId: changeSet.changeSetId,
        ChangeSetName: changeSet.name,
        ExecutionStatus: changeSet.executionStatus,
        Status: changeSet.status,
        StatusReason: changeSet.statusReason,
        CreationTime: new Date(changeSet.creationTime),
        Description: changeSet.description,
        IncludeNestedStacks: false,
      })),
    };
  }

  async DeleteChangeSet(input: Input): Promise<Output> {
    const changeSet = this.findChangeSet(required(input, "ChangeSetName", "changeSetName"), text(input, "StackName"));
    if (changeSet.executionStatus === "EXECUTE_IN_PROGRESS") {
      throw new AwsServiceError("InvalidChangeSetStatus", `Cannot delete ChangeSet in status ${changeSet.executionStatus}`);
    }
    this.env.store.deleteChangeSet(changeSet.changeSetId);
    return {};
  }

  async ExecuteChangeSet(input: Input): Promise<Output> {
    const changeSet = this.findChangeSet(required(input, "ChangeSetName", "changeSetName"), text(input, "StackName"));
    if (changeSet.status !== "CREATE_COMPLETE" || changeSet.executionStatus !== "AVAILABLE") {
      throw new AwsServiceError(
        "InvalidChangeSetStatus",
        `ChangeSet [${changeSet.changeSetId}] cannot be executed in its current status of [${changeSet.status}]`,
      );
    }
    const stack = this.env.store.stackById(changeSet.stackId)!;
    const desired = await this.prepare(stack, changeSet.templateBody, MAX_TEMPLATE_URL_BYTES, changeSet.parameters, changeSet.capabilities, stack.parameters);
    for (const other of this.env.store.changeSets(stack.stackId)) {
      if (other.changeSetId === changeSet.changeSetId) continue;
      this.env.store.putChangeSet({ ...other, executionStatus: "OBSOLETE" });
    }
    this.env.store.putChangeSet({ ...changeSet, executionStatus: "EXECUTE_IN_PROGRESS" });
    const finish = (after: StackRecord): void => {
      const current = this.env.store.changeSetById(changeSet.changeSetId);
      const ok = after.status === "CREATE_COMPLETE" || after.status === "UPDATE_COMPLETE";
      if (current !== undefined) this.env.store.putChangeSet({ ...current, executionStatus: ok ? "EXECUTE_COMPLETE" : "EXECUTE_FAILED" });
    };
    stack.clientRequestToken = text(input, "ClientRequestToken");
    if (changeSet.type === "CREATE") {
      stack.templateBody = changeSet.templateBody;
      stack.parameters = desired.given;
      stack.description = desired.template.description;
      stack.capabilities = changeSet.capabilities;
      stack.tags = changeSet.tags;
      stack.disableRollback = flag(input, "DisableRollback");
      this.env.operations.setStackStatus(stack, "CREATE_IN_PROGRESS", "User Initiated");
      this.env.operations.start(stack.stackId, async () => {
        await this.env.operations.create(stack.stackId, desired);
        finish(this.env.store.stackById(stack.stackId)!);
      });
    } else {
      this.beginUpdate(stack, changeSet.templateBody, desired, changeSet.capabilities, changeSet.tags, stack.clientRequestToken, finish);
    }
    return {};
  }
}

function changeShape(change: PlannedChange): Output {
  return {
    Type: "Resource",
    ResourceChange: {
      Action: change.action,
      LogicalResourceId: change.logicalId,
      PhysicalResourceId: change.physicalId,
      ResourceType: change.type,
      Replacement: change.replacement,
      PolicyAction: change.policyAction,
      Scope: change.action === "Modify" ? ["Properties"] : [],
      Details: change.details.map((detail) => ({
        Target: { Attribute: "Properties", Name: detail.name, RequiresRecreation: detail.requiresRecreation },
        Evaluation: detail.evaluation,
        ChangeSource: detail.source,
        CausingEntity: detail.causingEntity,
      })),
    },
  };
}

function sameTemplate(left: string, right: string): boolean {
  if (left === right) return true;
  try {
    return JSON.stringify(loadTemplate(left, MAX_TEMPLATE_URL_BYTES).raw) === JSON.stringify(loadTemplate(right, MAX_TEMPLATE_URL_BYTES).raw);
  } catch {
    return false;
  }
}

function sameRecord(left: Record<string, string>, right: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].every((key) => left[key] === right[key]);
}

export { STACK_TYPE };
