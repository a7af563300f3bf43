/**
 * Stack operations as CloudFormation runs them, after the API call has returned: create in
 * dependency order (independent resources at once), update with in-place changes or
 * replacements, delete in reverse order, and the rollbacks. Every step is written to the store
 * before the next begins, with the stack events a user sees.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-describing-stacks.html
 */
import { scalarText } from "../../../shared/cloudformation-yaml.js";
import { randomUUID } from "node:crypto";
import type { LocalLogger } from "../../context.js";
import { AwsServiceError } from "../../aws-error.js";
import { TemplateError } from "../template/errors.js";
import { containsUnknown, resolveValue, UNKNOWN } from "../template/intrinsics.js";
import { buildDependencyGraph, collectReferences } from "../template/graph.js";
import type { ParameterValue } from "../template/parameters.js";
import type { ResourceDefinition, Template } from "../template/template.js";
import type { SpecDatabase } from "../schema/resource-specs.js";
import { coerceProperties, validateResourceProperties } from "../schema/validate-properties.js";
import type { CloudFormationDependencies } from "../dependencies.js";
import { RESOURCE_PROVIDERS } from "../providers/index.js";
import type { IamStore } from "../providers/iam-store.js";
import type { ProviderContext, ResourceProvider } from "../providers/types.js";
import { sameValue } from "../providers/values.js";
import { generatePhysicalName } from "./physical-names.js";
import { StackScope } from "./scope.js";
import type { CleanupItem, CloudFormationStore, ResourceRecord, StackOutput, StackRecord } from "./store.js";
import { runInDependencyOrder } from "./scheduler.js";

export const STACK_TYPE = "AWS::CloudFormation::Stack";

export interface OperationEnvironment {
  store: CloudFormationStore;
  iam: IamStore;
  deps: CloudFormationDependencies;
  region: string;
  accountId: string;
  baseUrl(): string;
  now(): number;
  log: LocalLogger;
  specs: SpecDatabase;
}

/** The template and parameter values an operation works towards. */
export interface Desired {
  template: Template;
  values: Record<string, ParameterValue>;
}

class OperationFailed extends Error {}

export class StackOperations {
  private lastEventTime = 0;
  private readonly running = new Map<string, Promise<void>>();
  /** Stacks whose running create was asked to stop (DeleteStack during CREATE_IN_PROGRESS). */
  private readonly cancelled = new Set<string>();

  constructor(private readonly env: OperationEnvironment) {}

  // ---------------------------------------------------------------- bookkeeping
  isRunning(stackId: string): boolean {
    return this.running.has(stackId);
  }

  /** Runs an operation in the background; one at a time per stack. */
  start(stackId: string, work: () => Promise<void>): void {
    const previous = this.running.get(stackId) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((error: unknown) => this.env.log.log("error", "stack operation crashed", { stackId, error: (error as Error).stack ?? String(error) }))
      .finally(() => {
        if (this.running.get(stackId) === next) this.running.delete(stackId);
      });
    this.running.set(stackId, next);
  }

  cancel(stackId: string): void {
    this.cancelled.add(stackId);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Strictly increasing timestamps, so that events sort (and dedupe by id) exactly. */
  private timestamp(): number {
    this.lastEventTime = Math.max(this.env.now(), this.lastEventTime + 1);
    return this.lastEventTime;
  }

  event(stack: StackRecord, logicalId: string, physicalId: string | undefined, type: string, status: string, reason?: string, properties?: unknown): void {
    const timestamp = this.timestamp();
    this.env.store.addEvent({
      eventId: type === STACK_TYPE ? randomUUID() : `${logicalId}-${status}-${new Date(timestamp).toISOString()}`,
      stackId: stack.stackId,
      stackName: stack.name,
      logicalId,
      physicalId: physicalId ?? "",
      type,
      status,
      reason,
      properties: properties === undefined ? undefined : JSON.stringify(properties),
      timestamp,
      clientRequestToken: stack.clientRequestToken,
    });
  }

  /**
   * `keepReason`: a rollback's final status keeps the reason the rollback started with in
   * DescribeStacks (the event itself carries none), so the cause stays visible on the stack.
   */
  setStackStatus(stack: StackRecord, status: string, reason?: string, keepReason = false): void {
    stack.status = status;
    stack.statusReason = keepReason ? stack.statusReason : reason;
    if (status === "DELETE_COMPLETE") stack.deletionTime = this.env.now();
    this.env.store.putStack(stack);
    this.event(stack, stack.name, stack.stackId, STACK_TYPE, status, reason);
  }

  // ---------------------------------------------------------------- shared pieces
  async attributeNames(type: string): Promise<ReadonlySet<string> | undefined> {
    const provider = RESOURCE_PROVIDERS.get(type);
    const attributes = this.env.specs.attributes(type);
    if (provider?.attributes !== undefined) return new Set([...provider.attributes, ...(attributes ?? [])]);
    return attributes;
  }

  async scopeFor(stack: StackRecord, desired: Desired, resources: Iterable<ResourceRecord>): Promise<StackScope> {
    const attributes = new Map<string, ReadonlySet<string> | undefined>();
    for (const definition of desired.template.resources.values()) attributes.set(definition.type, await this.attributeNames(definition.type));
    const state = new Map<string, { physicalId: string; attributes: Record<string, string | string[]> }>();
    for (const resource of resources) {
      if (resource.physicalId !== undefined && resource.status !== "CREATE_FAILED")
        state.set(resource.logicalId, { physicalId: resource.physicalId, attributes: resource.attributes });
    }
    return new StackScope({
      template: desired.template,
      parameters: desired.values,
      stackName: stack.name,
      stackId: stack.stackId,
      region: this.env.region,
      accountId: this.env.accountId,
      resources: state,
      attributesOf: (type) => attributes.get(type),
      importValue: (name) => this.env.store.exportValue(name)?.value,
    });
  }

  private providerContext(stack: StackRecord, logicalId: string): ProviderContext {
    return {
      stackName: stack.name,
      stackId: stack.stackId,
      logicalId,
      region: this.env.region,
      accountId: this.env.accountId,
      baseUrl: () => this.env.baseUrl(),
      deps: this.env.deps,
      iam: this.env.iam,
      generateName: (options) => generatePhysicalName(stack.name, logicalId, options),
    };
  }

  /** Resolved properties, or the reason the resource cannot be provisioned. */
  private async prepare(definition: ResourceDefinition, scope: StackScope): Promise<{ properties: Record<string, unknown>; provider: ResourceProvider }> {
    const resolved = resolveValue(definition.properties, scope);
    if (containsUnknown(resolved)) throw new TemplateError(`Template error: a value of ${definition.logicalId} could not be resolved`);
    const properties = resolved as Record<string, unknown>;
    const provider = RESOURCE_PROVIDERS.get(definition.type);
    if (provider === undefined) {
      throw new TemplateError(
        `Resource type ${definition.type} is not supported by the wsq local cloud (supported: ${[...RESOURCE_PROVIDERS.keys()].join(", ")})`,
      );
    }
    const spec = this.env.specs.resource(definition.type);
    if (spec !== undefined) {
      const problem = validateResourceProperties(definition.logicalId, properties, spec);
      if (problem !== undefined) throw new TemplateError(problem);
      return { properties: coerceProperties(properties, spec), provider };
    }
    return { properties, provider };
  }

  /** Which changed properties replace the resource (registry createOnly + provider rules). */
  async replacingChanges(
    type: string,
    previous: Record<string, unknown>,
    next: Record<string, unknown>,
  ): Promise<{ always: string[]; conditional: string[]; changed: string[] }> {
    const spec = this.env.specs.resource(type);
    const provider = RESOURCE_PROVIDERS.get(type);
    const names = new Set([...Object.keys(previous), ...Object.keys(next)]);
    const changed = [...names].filter((name) => !sameValue(previous[name], next[name]));
    const always = changed.filter((name) => spec?.replaceOnChange.has(name) || provider?.alsoReplaceOn?.includes(name) || provider?.update === undefined);
    const conditional = changed.filter((name) => !always.includes(name) && spec?.conditionalReplace.has(name));
    return { always, conditional, changed };
  }

  private record(stack: StackRecord, resource: ResourceRecord): void {
    resource.lastUpdated = this.env.now();
    this.env.store.putResource(stack.stackId, resource);
  }

  private graphFor(desired: Desired, scope: StackScope): Map<string, Set<string>> {
    const active = [...desired.template.resources.values()].filter((definition) => scope.active.has(definition.logicalId));
    return buildDependencyGraph(
      active,
      (name) => scope.condition(name),
      (name) => scope.isKnownName(name),
    ).dependsOn;
  }

  // ---------------------------------------------------------------- create
  private async createOne(
    stack: StackRecord,
    definition: ResourceDefinition,
    scope: StackScope,
    dependsOn: string[],
    status: "CREATE" | "UPDATE",
    replacing?: ResourceRecord,
  ): Promise<void> {
    const logicalId = definition.logicalId;
    const inProgress = `${status}_IN_PROGRESS`;
    const row: ResourceRecord = {
      logicalId,
      physicalId: undefined,
      type: definition.type,
      status: "CREATE_IN_PROGRESS",
      statusReason: undefined,
      properties: {},
      attributes: {},
      deletionPolicy: definition.deletionPolicy,
      dependsOn,
      lastUpdated: this.env.now(),
    };
    try {
      const { properties, provider } = await this.prepare(definition, scope);
      row.properties = properties;
      if (replacing === undefined) {
        this.record(stack, row);
        this.event(stack, logicalId, undefined, definition.type, inProgress, undefined, properties);
      } else {
        this.event(
          stack,
          logicalId,
          replacing.physicalId,
          definition.type,
          inProgress,
          "Requested update requires the creation of a new physical resource; hence creating one.",
          properties,
        );
      }
      const created = await provider.create(properties, this.providerContext(stack, logicalId));
      row.physicalId = created.physicalId;
      row.attributes = created.attributes;
      row.status = `${status}_COMPLETE`;
      this.record(stack, row);
      scope.setResource(logicalId, created);
      this.event(stack, logicalId, created.physicalId, definition.type, inProgress, "Resource creation Initiated", properties);
      this.event(stack, logicalId, created.physicalId, definition.type, `${status}_COMPLETE`, undefined, properties);
    } catch (error) {
      const reason = failureReason(error);
      if (replacing === undefined) {
        row.status = "CREATE_FAILED";
        row.statusReason = reason;
        this.record(stack, row);
        this.event(stack, logicalId, undefined, definition.type, "CREATE_FAILED", reason);
      } else {
        this.record(stack, { ...replacing, status: "UPDATE_FAILED", statusReason: reason });
        this.event(stack, logicalId, replacing.physicalId, definition.type, "UPDATE_FAILED", reason);
      }
      throw new OperationFailed(reason);
    }
  }

  /** CreateStack / ExecuteChangeSet(CREATE), after the stack row says CREATE_IN_PROGRESS. */
  async create(stackId: string, desired: Desired): Promise<void> {
    const stack = this.env.store.stackById(stackId)!;
    const scope = await this.scopeFor(stack, desired, []);
    let failed: string[] = [];
    let reason: string | undefined;
    try {
      const graph = this.graphFor(desired, scope);
      const outcome = await runInDependencyOrder(
        [...graph.keys()],
        (id) => graph.get(id) ?? [],
        async (id) => {
          await this.createOne(stack, desired.template.resources.get(id)!, scope, [...(graph.get(id) ?? [])], "CREATE");
        },
        () => this.cancelled.has(stackId),
      );
      failed = outcome.failed;
      if (failed.length === 0 && !this.cancelled.has(stackId)) {
        this.finishOutputs(stack, desired, scope);
      }
    } catch (error) {
      reason = failureReason(error);
    }
    if (this.cancelled.has(stackId)) {
      this.cancelled.delete(stackId);
      this.setStackStatus(stack, "DELETE_IN_PROGRESS", "User Initiated");
      await this.deleteResources(stack, []);
      return;
    }
    if (failed.length === 0 && reason === undefined) {
      this.setStackStatus(stack, "CREATE_COMPLETE");
      return;
    }
    if (stack.disableRollback) {
      this.setStackStatus(stack, "CREATE_FAILED", reason ?? `The following resource(s) failed to create: [${failed.join(", ")}]. `);
      return;
    }
    const why = reason === undefined ? `The following resource(s) failed to create: [${failed.join(", ")}].` : reason.replace(/\.?$/, ".");
    this.setStackStatus(stack, "ROLLBACK_IN_PROGRESS", `${why} Rollback requested by user.`);
    await this.rollbackCreate(stack);
  }

  /** Deletes what a failed create made; ends in ROLLBACK_COMPLETE (or ROLLBACK_FAILED). */
  async rollbackCreate(stack: StackRecord): Promise<void> {
    const failures = await this.deleteAll(stack, this.env.store.resources(stack.stackId), new Set(), true);
    if (failures.length > 0) {
      this.setStackStatus(stack, "ROLLBACK_FAILED", `The following resource(s) failed to delete: [${failures.join(", ")}]. `);
      return;
    }
    stack.outputs = [];
    this.setStackStatus(stack, "ROLLBACK_COMPLETE", undefined, true);
  }

  // ---------------------------------------------------------------- outputs and exports
  private finishOutputs(stack: StackRecord, desired: Desired, scope: StackScope): void {
    const outputs: StackOutput[] = [];
    const exports: { name: string; value: string }[] = [];
    for (const output of desired.template.outputs) {
      if (output.condition !== undefined && !scope.condition(output.condition)) continue;
      const value = resolveValue(output.value, scope);
      const text = Array.isArray(value) ? value.map(scalarText).join(",") : scalarText(value);
      const entry: StackOutput = { OutputKey: output.key, OutputValue: text };
      if (output.description !== undefined) entry.Description = output.description;
      if (output.exportName !== undefined) {
        const name = scalarText(resolveValue(output.exportName, scope));
        const holder = this.env.store.exportValue(name);
        if (holder !== undefined && holder.stackId !== stack.stackId) {
          const other = this.env.store.stackById(holder.stackId);
          throw new TemplateError(`Export with name ${name} is already exported by stack ${other?.name ?? holder.stackId}`);
        }
        entry.ExportName = name;
        exports.push({ name, value: text });
      }
      outputs.push(entry);
    }
    // An export another stack imports may be neither removed nor changed.
    for (const current of this.env.store.exports().filter((item) => item.stackId === stack.stackId)) {
      const next = exports.find((item) => item.name === current.name);
      const users = this.env.store.importers(current.name).filter((id) => id !== stack.stackId);
      if (users.length === 0) continue;
      const names = users.map((id) => this.env.store.stackById(id)?.name ?? id).join(", ");
      if (next === undefined) throw new TemplateError(`Export ${current.name} cannot be deleted as it is in use by ${names}`);
      if (next.value !== current.value) throw new TemplateError(`Cannot update export ${current.name} as it is in use by ${names}`);
    }
    stack.outputs = outputs;
    this.env.store.transaction(() => {
      this.env.store.setExports(stack.stackId, exports);
      this.env.store.setImports(stack.stackId, scope.imported);
      this.env.store.putStack(stack);
    });
  }

  // ---------------------------------------------------------------- delete
  /**
   * Deletes resources in reverse dependency order; Retain (and RetainExceptOnCreate outside a
   * create rollback) keeps the physical resource. Returns the logical ids that failed.
   */
  private async deleteAll(
    stack: StackRecord,
    resources: (ResourceRecord | CleanupItem)[],
    retain: Set<string>,
    rollingBackCreate: boolean,
    removeRows = true,
  ): Promise<string[]> {
    const byId = new Map(resources.map((resource, index) => [`${resource.logicalId}#${index}`, resource]));
    const keyOf = new Map<string, string[]>();
    for (const [key, resource] of byId) keyOf.set(resource.logicalId, [...(keyOf.get(resource.logicalId) ?? []), key]);
    // Reverse edges: a resource waits until everything that depended on it is gone.
    const waitsFor = (key: string): string[] => {
      const resource = byId.get(key)!;
      return [...byId].filter(([, other]) => other.dependsOn.includes(resource.logicalId)).map(([otherKey]) => otherKey);
    };
    const outcome = await runInDependencyOrder(
      [...byId.keys()],
      waitsFor,
      async (key) => {
        const resource = byId.get(key)!;
        await this.deleteOne(stack, resource, retain.has(resource.logicalId), rollingBackCreate, removeRows);
      },
      () => false,
      true,
    );
    return [...new Set(outcome.failed.map((key) => byId.get(key)!.logicalId))];
  }

  private async deleteOne(
    stack: StackRecord,
    resource: ResourceRecord | CleanupItem,
    retain: boolean,
    rollingBackCreate: boolean,
    removeRow: boolean,
  ): Promise<void> {
    const keep =
      retain ||
      resource.deletionPolicy === "Retain" ||
      resource.deletionPolicy === "Snapshot" ||
      (resource.deletionPolicy === "RetainExceptOnCreate" && !rollingBackCreate);
    const provider = RESOURCE_PROVIDERS.get(resource.type);
    if (resource.physicalId === undefined || provider === undefined) {
      // Never created (it failed, or its type is not provisioned here): nothing to delete.
      this.event(stack, resource.logicalId, resource.physicalId, resource.type, "DELETE_COMPLETE");
      if (removeRow) this.env.store.deleteResource(stack.stackId, resource.logicalId);
      return;
    }
    if (keep) {
      this.event(stack, resource.logicalId, resource.physicalId, resource.type, "DELETE_SKIPPED");
      if (removeRow) this.env.store.deleteResource(stack.stackId, resource.logicalId);
      return;
    }
    this.event(stack, resource.logicalId, resource.physicalId, resource.type, "DELETE_IN_PROGRESS");
    try {
      await provider.delete(
        { physicalId: resource.physicalId, attributes: resource.attributes },
        resource.properties,
        this.providerContext(stack, resource.logicalId),
      );
    } catch (error) {
      const reason = failureReason(error);
      if (removeRow && "status" in resource) this.record(stack, { ...resource, status: "DELETE_FAILED", statusReason: reason });
      this.event(stack, resource.logicalId, resource.physicalId, resource.type, "DELETE_FAILED", reason);
      throw new OperationFailed(reason);
    }
    if (removeRow) this.env.store.deleteResource(stack.stackId, resource.logicalId);
    this.event(stack, resource.logicalId, resource.physicalId, resource.type, "DELETE_COMPLETE");
  }

  /** DeleteStack, after the stack row says DELETE_IN_PROGRESS. */
  async deleteResources(stack: StackRecord, retainResources: string[]): Promise<void> {
    for (const current of this.env.store.exports().filter((item) => item.stackId === stack.stackId)) {
      const users = this.env.store.importers(current.name).filter((id) => id !== stack.stackId);
      if (users.length > 0) {
        const names = users.map((id) => this.env.store.stackById(id)?.name ?? id).join(", ");
        this.setStackStatus(stack, "DELETE_FAILED", `Export ${current.name} cannot be deleted as it is in use by ${names}`);
        return;
      }
    }
    const failures = await this.deleteAll(stack, this.env.store.resources(stack.stackId), new Set(retainResources), false);
    if (failures.length > 0) {
      this.setStackStatus(stack, "DELETE_FAILED", `The following resource(s) failed to delete: [${failures.join(", ")}]. `);
      return;
    }
    this.env.store.transaction(() => {
      this.env.store.setExports(stack.stackId, []);
      this.env.store.setImports(stack.stackId, []);
      this.env.store.deleteChangeSets(stack.stackId);
    });
    stack.previous = undefined;
    stack.cleanup = [];
    this.setStackStatus(stack, "DELETE_COMPLETE");
  }

  // ---------------------------------------------------------------- update
  /** UpdateStack / ExecuteChangeSet(UPDATE), after the stack row says UPDATE_IN_PROGRESS with `previous` saved. */
  async update(stackId: string, desired: Desired): Promise<void> {
    const stack = this.env.store.stackById(stackId)!;
    const current = new Map(this.env.store.resources(stackId).map((resource) => [resource.logicalId, resource]));
    const scope = await this.scopeFor(stack, desired, current.values());
    const failedCreates: string[] = [];
    const failedUpdates: string[] = [];
    let reason: string | undefined;
    try {
      const graph = this.graphFor(desired, scope);
      const outcome = await runInDependencyOrder(
        [...graph.keys()],
        (id) => graph.get(id) ?? [],
        async (id) => {
          const definition = desired.template.resources.get(id)!;
          const existing = current.get(id);
          const dependsOn = [...(graph.get(id) ?? [])];
          if (existing === undefined || existing.physicalId === undefined || existing.status === "CREATE_FAILED") {
            try {
              await this.createOne(stack, definition, scope, dependsOn, "CREATE");
            } catch (error) {
              failedCreates.push(id);
              throw error;
            }
            return;
          }
          try {
            await this.updateOne(stack, definition, existing, scope, dependsOn);
          } catch (error) {
            failedUpdates.push(id);
            throw error;
          }
        },
        () => false,
      );
      if (outcome.failed.length === 0) this.finishOutputs(stack, desired, scope);
    } catch (error) {
      reason = failureReason(error);
    }
    if (failedCreates.length === 0 && failedUpdates.length === 0 && reason === undefined) {
      const snapshot = stack.previous!;
      const now = new Map(this.env.store.resources(stackId).map((resource) => [resource.logicalId, resource]));
      // Resources the template dropped, and the old physical resources of replacements.
      stack.cleanup = snapshot.resources
        .filter((old) => old.physicalId !== undefined && (!scope.active.has(old.logicalId) || now.get(old.logicalId)?.physicalId !== old.physicalId))
        .map(toCleanup);
      for (const old of snapshot.resources) if (!scope.active.has(old.logicalId)) this.env.store.deleteResource(stackId, old.logicalId);
      this.setStackStatus(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS");
      await this.finishUpdateCleanup(stack);
      return;
    }
    const parts: string[] = [];
    if (failedCreates.length > 0) parts.push(`The following resource(s) failed to create: [${failedCreates.join(", ")}]. `);
    if (failedUpdates.length > 0) parts.push(`The following resource(s) failed to update: [${failedUpdates.join(", ")}]. `);
    this.setStackStatus(stack, "UPDATE_ROLLBACK_IN_PROGRESS", parts.length > 0 ? parts.join("") : reason);
    await this.rollbackUpdate(stack);
  }

  private async updateOne(stack: StackRecord, definition: ResourceDefinition, existing: ResourceRecord, scope: StackScope, dependsOn: string[]): Promise<void> {
    const logicalId = definition.logicalId;
    let prepared: { properties: Record<string, unknown>; provider: ResourceProvider };
    try {
      prepared = await this.prepare(definition, scope);
    } catch (error) {
      const reason = failureReason(error);
      this.record(stack, { ...existing, status: "UPDATE_FAILED", statusReason: reason });
      this.event(stack, logicalId, existing.physicalId, definition.type, "UPDATE_FAILED", reason);
      throw new OperationFailed(reason);
    }
    const { properties, provider } = prepared;
    if (sameValue(properties, existing.properties)) {
      // Unchanged: CloudFormation leaves the resource (and its data) alone and writes no event.
      this.record(stack, { ...existing, deletionPolicy: definition.deletionPolicy, dependsOn });
      return;
    }
    const { always } = await this.replacingChanges(definition.type, existing.properties, properties);
    if (always.length > 0) {
      const named = customName(definition.type, existing.properties, properties);
      if (named !== undefined) {
        const reason = `CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename ${named} and update the stack again.`;
        this.record(stack, { ...existing, status: "UPDATE_FAILED", statusReason: reason });
        this.event(stack, logicalId, existing.physicalId, definition.type, "UPDATE_FAILED", reason);
        throw new OperationFailed(reason);
      }
      await this.createOne(stack, definition, scope, dependsOn, "UPDATE", existing);
      return;
    }
    this.event(stack, logicalId, existing.physicalId, definition.type, "UPDATE_IN_PROGRESS", undefined, properties);
    try {
      const updated = await provider.update!(
        { physicalId: existing.physicalId!, attributes: existing.attributes },
        existing.properties,
        properties,
        this.providerContext(stack, logicalId),
      );
      const row: ResourceRecord = {
        ...existing,
        properties,
        attributes: updated.attributes,
        status: "UPDATE_COMPLETE",
        statusReason: undefined,
        deletionPolicy: definition.deletionPolicy,
        dependsOn,
      };
      this.record(stack, row);
      scope.setResource(logicalId, { physicalId: existing.physicalId!, attributes: updated.attributes });
      this.event(stack, logicalId, existing.physicalId, definition.type, "UPDATE_COMPLETE", undefined, properties);
    } catch (error) {
      // The attempted properties are recorded: the update may have half-applied, and the
      // rollback then re-applies the previous ones over them, as CloudFormation does.
      const reason = failureReason(error);
      this.record(stack, { ...existing, properties, status: "UPDATE_FAILED", statusReason: reason });
      this.event(stack, logicalId, existing.physicalId, definition.type, "UPDATE_FAILED", reason);
      throw new OperationFailed(reason);
    }
  }

  async finishUpdateCleanup(stack: StackRecord): Promise<void> {
    // Cleanup failures do not fail the update on AWS either: the stack still ends UPDATE_COMPLETE.
    await this.deleteAll(stack, stack.cleanup, new Set(), false, false);
    stack.cleanup = [];
    stack.previous = undefined;
    this.setStackStatus(stack, "UPDATE_COMPLETE");
  }

  /**
   * Brings the stack back to the snapshot taken before the update: in-place changes are undone,
   * replaced resources point at their old physical resource again, and whatever the update
   * created is deleted in the cleanup phase.
   */
  async rollbackUpdate(stack: StackRecord): Promise<void> {
    const snapshot = stack.previous!;
    const current = new Map(this.env.store.resources(stack.stackId).map((resource) => [resource.logicalId, resource]));
    const old = new Map(snapshot.resources.map((resource) => [resource.logicalId, resource]));
    const ids = [...old.keys()];
    const outcome = await runInDependencyOrder(
      ids,
      (id) => old.get(id)!.dependsOn.filter((dep) => old.has(dep)),
      async (id) => {
        const previous = old.get(id)!;
        const now = current.get(id);
        if (
          now !== undefined &&
          now.physicalId === previous.physicalId &&
          previous.physicalId !== undefined &&
          !sameValue(now.properties, previous.properties)
        ) {
          const provider = RESOURCE_PROVIDERS.get(previous.type);
          this.event(stack, id, previous.physicalId, previous.type, "UPDATE_IN_PROGRESS", undefined, previous.properties);
          try {
            await provider!.update!(
              { physicalId: previous.physicalId, attributes: now.attributes },
              now.properties,
              previous.properties,
              this.providerContext(stack, id),
            );
          } catch (error) {
            const reason = failureReason(error);
            this.event(stack, id, previous.physicalId, previous.type, "UPDATE_FAILED", reason);
            throw new OperationFailed(reason);
          }
          this.event(stack, id, previous.physicalId, previous.type, "UPDATE_COMPLETE");
        } else if (now !== undefined && now.physicalId !== previous.physicalId) {
          this.event(stack, id, previous.physicalId, previous.type, "UPDATE_COMPLETE");
        }
        this.record(stack, { ...previous });
      },
      () => false,
      true,
    );
    stack.cleanup = [...current.values()]
      .filter((resource) => resource.physicalId !== undefined && old.get(resource.logicalId)?.physicalId !== resource.physicalId)
      .map(toCleanup);
    for (const resource of current.values()) if (!old.has(resource.logicalId)) this.env.store.deleteResource(stack.stackId, resource.logicalId);
    if (outcome.failed.length > 0) {
      this.setStackStatus(stack, "UPDATE_ROLLBACK_FAILED", `The following resource(s) failed to update: [${outcome.failed.join(", ")}]. `);
      return;
    }
    this.setStackStatus(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", undefined, true);
    await this.finishRollbackCleanup(stack);
  }

  async finishRollbackCleanup(stack: StackRecord): Promise<void> {
    const snapshot = stack.previous!;
    await this.deleteAll(stack, stack.cleanup, new Set(), true, false);
    this.env.store.replaceResources(stack.stackId, snapshot.resources);
    stack.templateBody = snapshot.templateBody;
    stack.parameters = snapshot.parameters;
    stack.outputs = snapshot.outputs;
    stack.cleanup = [];
    stack.previous = undefined;
    this.setStackStatus(stack, "UPDATE_ROLLBACK_COMPLETE", undefined, true);
  }

  // ---------------------------------------------------------------- change detection
  /** Evaluates the desired template against the stack's resources without touching anything. */
  async plan(stack: StackRecord, desired: Desired): Promise<PlannedChange[]> {
    const current = new Map(this.env.store.resources(stack.stackId).map((resource) => [resource.logicalId, resource]));
    const scope = await this.scopeFor(stack, desired, current.values());
    const graph = this.graphFor(desired, scope);
    const changes: PlannedChange[] = [];
    const order = topological(graph);
    for (const id of order) {
      const definition = desired.template.resources.get(id)!;
      const existing = current.get(id);
      if (existing === undefined || existing.physicalId === undefined) {
        changes.push({ action: "Add", logicalId: id, type: definition.type, details: [] });
        scope.setResource(id, undefined);
        continue;
      }
      const resolved = resolveValue(definition.properties, scope) as Record<string, unknown>;
      const names = new Set([...Object.keys(existing.properties), ...Object.keys(resolved)]);
      const changed = [...names].filter((name) => containsUnknown(resolved[name] as never) || !sameValue(existing.properties[name], resolved[name]));
      if (changed.length === 0) continue;
      const spec = this.env.specs.resource(definition.type);
      const provider = RESOURCE_PROVIDERS.get(definition.type);
      const details: ChangeDetail[] = changed.map((name) => {
        const dynamic = containsUnknown(resolved[name] as never);
        const always = spec?.replaceOnChange.has(name) || provider?.alsoReplaceOn?.includes(name) || provider?.update === undefined;
        const requiresRecreation = always ? "Always" : spec?.conditionalReplace.has(name) ? "Conditionally" : "Never";
        const references = collectReferences(definition.properties[name] ?? null, (condition) => scope.condition(condition));
        const source = dynamic
          ? "ResourceReference"
          : [...references].some((ref) => desired.template.parameters.has(ref))
            ? "ParameterReference"
            : "DirectModification";
        return {
          name,
          requiresRecreation,
          evaluation: dynamic ? "Dynamic" : "Static",
          source,
          causingEntity: dynamic ? [...references].find((ref) => desired.template.resources.has(ref)) : undefined,
        };
      });
      const replacement = details.some((detail) => detail.requiresRecreation === "Always" && detail.evaluation === "Static")
        ? "True"
        : details.some((detail) => detail.requiresRecreation !== "Never")
          ? "Conditional"
          : "False";
      if (replacement !== "False") scope.setResource(id, undefined);
      else if (details.some((detail) => detail.evaluation === "Dynamic")) {
        // An in-place update keeps the physical id; attributes may change, so GetAtt stays open.
      }
      changes.push({ action: "Modify", logicalId: id, type: definition.type, physicalId: existing.physicalId, replacement, details });
    }
    for (const existing of current.values()) {
      if (!scope.active.has(existing.logicalId)) {
        changes.push({
          action: "Remove",
          logicalId: existing.logicalId,
          type: existing.type,
          physicalId: existing.physicalId,
          policyAction: existing.deletionPolicy === "Retain" ? "Retain" : "Delete",
          details: [],
        });
      }
    }
    return changes;
  }
}

export interface ChangeDetail {
  name: string;
  requiresRecreation: "Always" | "Never" | "Conditionally";
  evaluation: "Static" | "Dynamic";
  source: string;
  causingEntity: string | undefined;
}

export interface PlannedChange {
  action: "Add" | "Modify" | "Remove";
  logicalId: string;
  type: string;
  physicalId?: string | undefined;
  replacement?: "True" | "False" | "Conditional";
  policyAction?: string;
  details: ChangeDetail[];
}

function topological(graph: Map<string, Set<string>>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const dep of graph.get(id) ?? []) visit(dep);
    order.push(id);
  };
  for (const id of graph.keys()) visit(id);
  return order;
}

function toCleanup(resource: ResourceRecord): CleanupItem {
  return {
    logicalId: resource.logicalId,
    type: resource.type,
    physicalId: resource.physicalId,
    properties: resource.properties,
    attributes: resource.attributes,
    deletionPolicy: resource.deletionPolicy,
    dependsOn: resource.dependsOn,
  };
}

/** The name property of a type, when the template set it (replacement would need a new name). */
const NAME_PROPERTIES: Record<string, string> = {
  "AWS::SQS::Queue": "QueueName",
  "AWS::Lambda::Function": "FunctionName",
  "AWS::IAM::Role": "RoleName",
  "AWS::Logs::LogGroup": "LogGroupName",
  "AWS::S3::Bucket": "BucketName",
};

function customName(type: string, previous: Record<string, unknown>, next: Record<string, unknown>): string | undefined {
  const property = NAME_PROPERTIES[type];
  if (property === undefined) return undefined;
  const name = next[property];
  if (name === undefined || !sameValue(previous[property], name)) return undefined;
  return scalarText(name);
}

/**
 * The ResourceStatusReason for a failure: template problems as CloudFormation words them, and
 * service errors the way registry resource handlers report them.
 */
export function failureReason(error: unknown): string {
  if (error instanceof OperationFailed || error instanceof TemplateError) return error.message;
  if (error instanceof AwsServiceError) {
    return `Resource handler returned message: "${error.message}" (RequestToken: ${randomUUID()}, HandlerErrorCode: ${handlerErrorCode(error)})`;
  }
  return `Internal Failure: ${(error as Error)?.message ?? String(error)}`;
}

function handlerErrorCode(error: AwsServiceError): string {
  if (/AlreadyExists|Conflict/i.test(error.code)) return "AlreadyExists";
  if (/NotFound|NonExistent|DoesNotExist|NoSuch/i.test(error.code)) return "NotFound";
  if (/Throttl|TooMany/i.test(error.code)) return "Throttling";
  if (/AccessDenied/i.test(error.code)) return "AccessDenied";
  if (error.status < 500) return "InvalidRequest";
  return "GeneralServiceException";
}

export { UNKNOWN };
