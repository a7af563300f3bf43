/**
 * The resource dependency graph: edges from Ref, Fn::GetAtt, Fn::Sub variables and DependsOn.
 * CloudFormation creates a resource once everything it depends on exists (independent resources
 * at the same time) and deletes in the reverse order.
 */
import { TemplateError } from "./errors.js";
import { isIntrinsic } from "./intrinsics.js";
import type { TemplateValue } from "../../../shared/cloudformation-yaml.js";
import type { ResourceDefinition } from "./template.js";

const SUB_VARIABLE = /\$\{([^}!][^}]*)\}/g;

/**
 * Logical names a value refers to. Fn::If branches whose condition is false are skipped, as AWS
 * does: a resource excluded by a condition may be referenced from the branch that is not taken.
 */
export function collectReferences(value: TemplateValue, conditionValue: (name: string) => boolean, into = new Set<string>()): Set<string> {
  if (value === null || typeof value !== "object") return into;
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, conditionValue, into);
    return into;
  }
  if (isIntrinsic(value)) {
    const [name] = Object.keys(value) as [string];
    const args = value[name]!;
    if (name === "Ref" && typeof args === "string") {
      into.add(args);
      return into;
    }
    if (name === "Fn::GetAtt") {
      if (typeof args === "string") into.add(args.split(".")[0]!);
      else if (Array.isArray(args) && typeof args[0] === "string") {
        into.add(args[0]);
        collectReferences(args.slice(1), conditionValue, into);
      }
      return into;
    }
    if (name === "Fn::Sub") {
      const template = typeof args === "string" ? args : Array.isArray(args) && typeof args[0] === "string" ? args[0] : undefined;
      const variables =
        Array.isArray(args) && args[1] !== null && typeof args[1] === "object" && !Array.isArray(args[1]) ? (args[1] as Record<string, TemplateValue>) : {};
      if (template !== undefined) {
        for (const match of template.matchAll(SUB_VARIABLE)) {
          const variable = match[1]!.trim();
          if (variable in variables) continue;
          into.add(variable.startsWith("AWS::") ? variable : variable.split(".")[0]!);
        }
      }
      collectReferences(Object.values<TemplateValue>(variables), conditionValue, into);
      return into;
    }
    if (name === "Fn::If" && Array.isArray(args) && args.length === 3 && typeof args[0] === "string") {
      collectReferences(conditionValue(args[0]) ? args[1]! : args[2]!, conditionValue, into);
      return into;
    }
    collectReferences(args, conditionValue, into);
    return into;
  }
  for (const item of Object.values(value)) collectReferences(item as TemplateValue, conditionValue, into);
  return into;
}

export interface DependencyGraph {
  /** logical id → the logical ids it needs first (only active resources). */
  dependsOn: Map<string, Set<string>>;
  /** logical id → the logical ids that need it. */
  dependents: Map<string, Set<string>>;
}

/**
 * Builds the graph over the active resources (those whose Condition holds) and rejects unknown
 * names and cycles with AWS's messages. `known(name)` says whether a non-resource name (a
 * parameter or pseudo parameter) exists.
 */
export function buildDependencyGraph(
  resources: ResourceDefinition[],
  conditionValue: (name: string) => boolean,
  known: (name: string) => boolean,
): DependencyGraph {
  const active = new Set(resources.map((resource) => resource.logicalId));
  const dependsOn = new Map<string, Set<string>>();
  const dependents = new Map<string, Set<string>>();
  for (const id of active) dependents.set(id, new Set());
  const unresolved = new Set<string>();
  for (const resource of resources) {
    const edges = new Set<string>();
    for (const name of collectReferences(resource.properties, conditionValue)) {
      if (active.has(name)) edges.add(name);
      else if (!known(name)) unresolved.add(name);
    }
    for (const name of resource.dependsOn) {
      if (active.has(name)) edges.add(name);
      else unresolved.add(name);
    }
    dependsOn.set(resource.logicalId, edges);
  }
  if (unresolved.size > 0) {
    throw new TemplateError(`Template format error: Unresolved resource dependencies [${[...unresolved].join(", ")}] in the Resources block of the template`);
  }
  for (const [id, edges] of dependsOn) for (const edge of edges) dependents.get(edge)!.add(id);
  assertAcyclic(dependsOn);
  return { dependsOn, dependents };
}

function assertAcyclic(dependsOn: Map<string, Set<string>>): void {
  const remaining = new Map([...dependsOn].map(([id, edges]) => [id, new Set(edges)]));
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const [id, edges] of remaining) {
      if ([...edges].every((edge) => !remaining.has(edge))) {
        remaining.delete(id);
        progressed = true;
      }
    }
  }
  if (remaining.size > 0) {
    // What is left after peeling off every resource that can be ordered: the cycle, plus anything
    // that waits on it. AWS names the same set.
    throw new TemplateError(`Circular dependency between resources: [${[...remaining.keys()].sort().join(", ")}]`);
  }
}

/** A creation order (each resource after its dependencies), stable in template order. */
export function topologicalOrder(graph: DependencyGraph): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const visit = (id: string): void => {
    if (done.has(id)) return;
    done.add(id);
    for (const edge of graph.dependsOn.get(id) ?? []) visit(edge);
    order.push(id);
  };
  for (const id of graph.dependsOn.keys()) visit(id);
  return order;
}
