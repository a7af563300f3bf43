/**
 * Durable state of the CloudFormation service, in the local cloud's shared SQLite database
 * (tables prefixed cfn_). Every state change of a stack operation is written before the next
 * step starts, so a crashed operation can be picked up where it stopped (see recovery.ts).
 */
import type Database from "better-sqlite3";
import type { ResourceAttributes } from "../providers/types.js";

export interface StackRecord {
  stackId: string;
  name: string;
  status: string;
  statusReason: string | undefined;
  description: string | undefined;
  /** Empty for a stack that a CREATE change set made and that was never executed. */
  templateBody: string;
  /** Parameter values as given (NoEcho ones are masked only when described). */
  parameters: Record<string, string>;
  outputs: StackOutput[];
  capabilities: string[];
  tags: { Key: string; Value: string }[];
  disableRollback: boolean;
  creationTime: number;
  lastUpdatedTime: number | undefined;
  deletionTime: number | undefined;
  clientRequestToken: string | undefined;
  /** The state before an update, kept until the update or its rollback finishes. */
  previous: StackSnapshot | undefined;
  /** Physical resources a cleanup phase still has to delete. */
  cleanup: CleanupItem[];
}

export interface StackOutput {
  OutputKey: string;
  OutputValue: string;
  Description?: string;
  ExportName?: string;
}

export interface ResourceRecord {
  logicalId: string;
  physicalId: string | undefined;
  type: string;
  status: string;
  statusReason: string | undefined;
  /** Resolved properties the resource was last provisioned with. */
  properties: Record<string, unknown>;
  attributes: ResourceAttributes;
  deletionPolicy: string;
  /** Logical ids this resource depended on when provisioned (deletion runs in reverse). */
  dependsOn: string[];
  lastUpdated: number;
}

export interface StackSnapshot {
  templateBody: string;
  parameters: Record<string, string>;
  outputs: StackOutput[];
  resources: ResourceRecord[];
}

export interface CleanupItem {
  logicalId: string;
  type: string;
  physicalId: string | undefined;
  properties: Record<string, unknown>;
  attributes: ResourceAttributes;
  deletionPolicy: string;
  dependsOn: string[];
}

export interface StackEvent {
  eventId: string;
  stackId: string;
  stackName: string;
  logicalId: string;
  physicalId: string;
  type: string;
  status: string;
  reason: string | undefined;
  properties: string | undefined;
  timestamp: number;
  clientRequestToken: string | undefined;
}

export interface ChangeSetRecord {
  changeSetId: string;
  name: string;
  stackId: string;
  stackName: string;
  type: "CREATE" | "UPDATE";
  status: string;
  executionStatus: string;
  statusReason: string | undefined;
  description: string | undefined;
  templateBody: string;
  parameters: { key: string; value: string | undefined; usePreviousValue: boolean }[];
  capabilities: string[];
  tags: { Key: string; Value: string }[];
  changes: unknown[];
  creationTime: number;
}

type Row = Record<string, unknown>;

const json = (value: unknown): string => JSON.stringify(value ?? null);
const parse = <T>(text: unknown, fallback: T): T => (typeof text === "string" && text !== "" ? ((JSON.parse(text) as T) ?? fallback) : fallback);
const optional = (value: unknown): string | undefined =>
  value === null || value === undefined ? undefined : typeof value === "string" ? value : JSON.stringify(value);
const optionalNumber = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : Number(value));

export class CloudFormationStore {
  constructor(private readonly db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS cfn_stacks (
        stack_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        status_reason TEXT,
        description TEXT,
        template_body TEXT NOT NULL,
        parameters TEXT NOT NULL,
        outputs TEXT NOT NULL,
        capabilities TEXT NOT NULL,
        tags TEXT NOT NULL,
        disable_rollback INTEGER NOT NULL,
        creation_time INTEGER NOT NULL,
        last_updated_time INTEGER,
        deletion_time INTEGER,
        client_request_token TEXT,
        previous TEXT,
        cleanup TEXT NOT NULL DEFAULT '[]'
      );
      CREATE INDEX IF NOT EXISTS cfn_stacks_name ON cfn_stacks (name, deletion_time);
      CREATE TABLE IF NOT EXISTS cfn_resources (
        stack_id TEXT NOT NULL,
        logical_id TEXT NOT NULL,
        physical_id TEXT,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        status_reason TEXT,
        properties TEXT NOT NULL,
        attributes TEXT NOT NULL,
        deletion_policy TEXT NOT NULL,
        depends_on TEXT NOT NULL,
        last_updated INTEGER NOT NULL,
        PRIMARY KEY (stack_id, logical_id)
      );
      CREATE TABLE IF NOT EXISTS cfn_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL,
        stack_id TEXT NOT NULL,
        stack_name TEXT NOT NULL,
        logical_id TEXT NOT NULL,
        physical_id TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        properties TEXT,
        timestamp INTEGER NOT NULL,
        client_request_token TEXT
      );
      CREATE INDEX IF NOT EXISTS cfn_events_stack ON cfn_events (stack_id, seq);
      CREATE TABLE IF NOT EXISTS cfn_change_sets (
        change_set_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        stack_id TEXT NOT NULL,
        stack_name TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        execution_status TEXT NOT NULL,
        status_reason TEXT,
        description TEXT,
        template_body TEXT NOT NULL,
        parameters TEXT NOT NULL,
        capabilities TEXT NOT NULL,
        tags TEXT NOT NULL,
        changes TEXT NOT NULL,
        creation_time INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS cfn_change_sets_stack ON cfn_change_sets (stack_id, name);
      CREATE TABLE IF NOT EXISTS cfn_imports (
        stack_id TEXT NOT NULL,
        export_name TEXT NOT NULL,
        PRIMARY KEY (stack_id, export_name)
      );
      CREATE TABLE IF NOT EXISTS cfn_exports (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        stack_id TEXT NOT NULL
      );
    `);
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  // ---------------------------------------------------------------- stacks
  private toStack(row: Row): StackRecord {
    return {
      stackId: String(row.stack_id),
      name: String(row.name),
      status: String(row.status),
      statusReason: optional(row.status_reason),
      description: optional(row.description),
      templateBody: String(row.template_body),
      parameters: parse(row.parameters, {}),
      outputs: parse(row.outputs, []),
      capabilities: parse(row.capabilities, []),
      tags: parse(row.tags, []),
      disableRollback: Number(row.disable_rollback) === 1,
      creationTime: Number(row.creation_time),
      lastUpdatedTime: optionalNumber(row.last_updated_time),
      deletionTime: optionalNumber(row.deletion_time),
      clientRequestToken: optional(row.client_request_token),
      previous: parse<StackSnapshot | undefined>(row.previous, undefined),
      cleanup: parse(row.cleanup, []),
    };
  }

  putStack(stack: StackRecord): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO cfn_stacks (stack_id, name, status, status_reason, description, template_body, parameters, outputs, capabilities, tags,
           disable_rollback, creation_time, last_updated_time, deletion_time, client_request_token, previous, cleanup)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        stack.stackId,
        stack.name,
        stack.status,
        stack.statusReason ?? null,
        stack.description ?? null,
        stack.templateBody,
        json(stack.parameters),
        json(stack.outputs),
        json(stack.capabilities),
        json(stack.tags),
        stack.disableRollback ? 1 : 0,
        stack.creationTime,
        stack.lastUpdatedTime ?? null,
        stack.deletionTime ?? null,
        stack.clientRequestToken ?? null,
        stack.previous === undefined ? null : json(stack.previous),
        json(stack.cleanup),
      );
  }

  stackById(stackId: string): StackRecord | undefined {
    const row = this.db.prepare("SELECT * FROM cfn_stacks WHERE stack_id = ?").get(stackId) as Row | undefined;
    return row === undefined ? undefined : this.toStack(row);
  }

  /** The live (not deleted) stack of that name. */
  liveStackByName(name: string): StackRecord | undefined {
    const row = this.db.prepare("SELECT * FROM cfn_stacks WHERE name = ? AND status != 'DELETE_COMPLETE' ORDER BY creation_time DESC LIMIT 1").get(name) as
      Row | undefined;
    return row === undefined ? undefined : this.toStack(row);
  }

  listStacks(): StackRecord[] {
    return (this.db.prepare("SELECT * FROM cfn_stacks ORDER BY creation_time DESC").all() as Row[]).map((row) => this.toStack(row));
  }

  stacksInProgress(): StackRecord[] {
    return (this.db.prepare("SELECT * FROM cfn_stacks WHERE status LIKE '%_IN_PROGRESS' AND status != 'REVIEW_IN_PROGRESS'").all() as Row[]).map((row) =>
      this.toStack(row),
    );
  }

  // ---------------------------------------------------------------- resources
  private toResource(row: Row): ResourceRecord {
    return {
      logicalId: String(row.logical_id),
      physicalId: optional(row.physical_id),
      type: String(row.type),
      status: String(row.status),
      statusReason: optional(row.status_reason),
      properties: parse(row.properties, {}),
      attributes: parse(row.attributes, {}),
      deletionPolicy: String(row.deletion_policy),
      dependsOn: parse(row.depends_on, []),
      lastUpdated: Number(row.last_updated),
    };
  }

  resources(stackId: string): ResourceRecord[] {
    return (this.db.prepare("SELECT * FROM cfn_resources WHERE stack_id = ? ORDER BY rowid").all(stackId) as Row[]).map((row) => this.toResource(row));
  }

  putResource(stackId: string, resource: ResourceRecord): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO cfn_resources (stack_id, logical_id, physical_id, type, status, status_reason, properties, attributes, deletion_policy, depends_on, last_updated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        stackId,
        resource.logicalId,
        resource.physicalId ?? null,
        resource.type,
        resource.status,
        resource.statusReason ?? null,
        json(resource.properties),
        json(resource.attributes),
        resource.deletionPolicy,
        json(resource.dependsOn),
        resource.lastUpdated,
      );
  }

  deleteResource(stackId: string, logicalId: string): void {
    this.db.prepare("DELETE FROM cfn_resources WHERE stack_id = ? AND logical_id = ?").run(stackId, logicalId);
  }

  replaceResources(stackId: string, resources: ResourceRecord[]): void {
    this.transaction(() => {
      this.db.prepare("DELETE FROM cfn_resources WHERE stack_id = ?").run(stackId);
      for (const resource of resources) this.putResource(stackId, resource);
    });
  }

  // ---------------------------------------------------------------- events
  addEvent(event: StackEvent): void {
    this.db
      .prepare(
        `INSERT INTO cfn_events (event_id, stack_id, stack_name, logical_id, physical_id, type, status, reason, properties, timestamp, client_request_token)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        event.eventId,
        event.stackId,
        event.stackName,
        event.logicalId,
        event.physicalId,
        event.type,
        event.status,
        event.reason ?? null,
        event.properties ?? null,
        event.timestamp,
        event.clientRequestToken ?? null,
      );
  }

  /** Newest first, as DescribeStackEvents returns them. */
  events(stackId: string, offset: number, limit: number): StackEvent[] {
    const rows = this.db.prepare("SELECT * FROM cfn_events WHERE stack_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?").all(stackId, limit, offset) as Row[];
    return rows.map((row) => ({
      eventId: String(row.event_id),
      stackId: String(row.stack_id),
      stackName: String(row.stack_name),
      logicalId: String(row.logical_id),
      physicalId: String(row.physical_id),
      type: String(row.type),
      status: String(row.status),
      reason: optional(row.reason),
      properties: optional(row.properties),
      timestamp: Number(row.timestamp),
      clientRequestToken: optional(row.client_request_token),
    }));
  }

  // ---------------------------------------------------------------- change sets
  private toChangeSet(row: Row): ChangeSetRecord {
    return {
      changeSetId: String(row.change_set_id),
      name: String(row.name),
      stackId: String(row.stack_id),
      stackName: String(row.stack_name),
      type: String(row.type) as "CREATE" | "UPDATE",
      status: String(row.status),
      executionStatus: String(row.execution_status),
      statusReason: optional(row.status_reason),
      description: optional(row.description),
      templateBody: String(row.template_body),
      parameters: parse(row.parameters, []),
      capabilities: parse(row.capabilities, []),
      tags: parse(row.tags, []),
      changes: parse(row.changes, []),
      creationTime: Number(row.creation_time),
    };
  }

  putChangeSet(changeSet: ChangeSetRecord): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO cfn_change_sets (change_set_id, name, stack_id, stack_name, type, status, execution_status, status_reason, description,
           template_body, parameters, capabilities, tags, changes, creation_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        changeSet.changeSetId,
        changeSet.name,
        changeSet.stackId,
        changeSet.stackName,
        changeSet.type,
        changeSet.status,
        changeSet.executionStatus,
        changeSet.statusReason ?? null,
        changeSet.description ?? null,
        changeSet.templateBody,
        json(changeSet.parameters),
        json(changeSet.capabilities),
        json(changeSet.tags),
        json(changeSet.changes),
        changeSet.creationTime,
      );
  }

  changeSetById(id: string): ChangeSetRecord | undefined {
    const row = this.db.prepare("SELECT * FROM cfn_change_sets WHERE change_set_id = ?").get(id) as Row | undefined;
    return row === undefined ? undefined : this.toChangeSet(row);
  }

  changeSetByName(stackId: string, name: string): ChangeSetRecord | undefined {
    const row = this.db.prepare("SELECT * FROM cfn_change_sets WHERE stack_id = ? AND name = ?").get(stackId, name) as Row | undefined;
    return row === undefined ? undefined : this.toChangeSet(row);
  }

  changeSets(stackId: string): ChangeSetRecord[] {
    return (this.db.prepare("SELECT * FROM cfn_change_sets WHERE stack_id = ? ORDER BY creation_time").all(stackId) as Row[]).map((row) =>
      this.toChangeSet(row),
    );
  }

  deleteChangeSet(id: string): void {
    this.db.prepare("DELETE FROM cfn_change_sets WHERE change_set_id = ?").run(id);
  }

  deleteChangeSets(stackId: string): void {
    this.db.prepare("DELETE FROM cfn_change_sets WHERE stack_id = ?").run(stackId);
  }

  // ---------------------------------------------------------------- exports
  exportValue(name: string): { value: string; stackId: string } | undefined {
    const row = this.db.prepare("SELECT value, stack_id FROM cfn_exports WHERE name = ?").get(name) as Row | undefined;
    return row === undefined ? undefined : { value: String(row.value), stackId: String(row.stack_id) };
  }

  exports(): { name: string; value: string; stackId: string }[] {
    return (this.db.prepare("SELECT * FROM cfn_exports ORDER BY name").all() as Row[]).map((row) => ({
      name: String(row.name),
      value: String(row.value),
      stackId: String(row.stack_id),
    }));
  }

  setExports(stackId: string, exports: { name: string; value: string }[]): void {
    this.transaction(() => {
      this.db.prepare("DELETE FROM cfn_exports WHERE stack_id = ?").run(stackId);
      const insert = this.db.prepare("INSERT INTO cfn_exports (name, value, stack_id) VALUES (?, ?, ?)");
      for (const item of exports) insert.run(item.name, item.value, stackId);
    });
  }

  /** Stacks (ids) that import an export: such an export can be neither removed nor changed. */
  importers(exportName: string): string[] {
    return (this.db.prepare("SELECT stack_id FROM cfn_imports WHERE export_name = ?").all(exportName) as Row[]).map((row) => String(row.stack_id));
  }

  setImports(stackId: string, names: Iterable<string>): void {
    this.transaction(() => {
      this.db.prepare("DELETE FROM cfn_imports WHERE stack_id = ?").run(stackId);
      const insert = this.db.prepare("INSERT OR IGNORE INTO cfn_imports (stack_id, export_name) VALUES (?, ?)");
      for (const name of names) insert.run(stackId, name);
    });
  }
}
