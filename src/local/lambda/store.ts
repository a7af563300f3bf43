/**
 * SQLite storage of the Lambda service: functions (their configuration as the API reports it),
 * event source mappings, and resource-policy statements. Everything a restart needs; the code
 * itself lives unpacked under dataDir/lambda and the zip in lambda_code (so an unpacked tree
 * that was removed can be restored).
 */
import type Database from "better-sqlite3";
import type * as lambda from "@aws-sdk/client-lambda";

export interface FunctionRecord {
  name: string;
  configuration: lambda.FunctionConfiguration;
  reservedConcurrency: number | undefined;
  tags: Record<string, string>;
}

export interface MappingRecord {
  uuid: string;
  functionName: string;
  eventSourceArn: string;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  functionResponseTypes: string[];
  maximumConcurrency: number | undefined;
  enabled: boolean;
  lastModified: number;
  lastProcessingResult: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS lambda_functions (
  name TEXT PRIMARY KEY,
  configuration TEXT NOT NULL,
  reserved_concurrency INTEGER,
  tags TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS lambda_code (
  function_name TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL,
  zip BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS lambda_mappings (
  uuid TEXT PRIMARY KEY,
  function_name TEXT NOT NULL,
  event_source_arn TEXT NOT NULL,
  settings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lambda_permissions (
  function_name TEXT NOT NULL,
  statement_id TEXT NOT NULL,
  statement TEXT NOT NULL,
  PRIMARY KEY (function_name, statement_id)
);
`;

interface FunctionRow {
  name: string;
  configuration: string;
  reserved_concurrency: number | null;
  tags: string;
}

interface MappingRow {
  uuid: string;
  function_name: string;
  event_source_arn: string;
  settings: string;
}

function functionFromRow(row: FunctionRow): FunctionRecord {
  return {
    name: row.name,
    configuration: JSON.parse(row.configuration) as lambda.FunctionConfiguration,
    reservedConcurrency: row.reserved_concurrency ?? undefined,
    tags: JSON.parse(row.tags) as Record<string, string>,
  };
}

function mappingFromRow(row: MappingRow): MappingRecord {
  return { ...(JSON.parse(row.settings) as MappingRecord), uuid: row.uuid, functionName: row.function_name, eventSourceArn: row.event_source_arn };
}

export class LambdaStore {
  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  getFunction(name: string): FunctionRecord | undefined {
    const row = this.db.prepare<[string], FunctionRow>("SELECT * FROM lambda_functions WHERE name = ?").get(name);
    return row ? functionFromRow(row) : undefined;
  }

  listFunctions(): FunctionRecord[] {
    return this.db.prepare<[], FunctionRow>("SELECT * FROM lambda_functions ORDER BY name").all().map(functionFromRow);
  }

  putFunction(record: FunctionRecord): void {
    this.db
      .prepare("INSERT OR REPLACE INTO lambda_functions (name, configuration, reserved_concurrency, tags) VALUES (?, ?, ?, ?)")
      .run(record.name, JSON.stringify(record.configuration), record.reservedConcurrency ?? null, JSON.stringify(record.tags));
  }

  putCode(name: string, sha256: string, zip: Uint8Array): void {
    this.db.prepare("INSERT OR REPLACE INTO lambda_code (function_name, sha256, zip) VALUES (?, ?, ?)").run(name, sha256, Buffer.from(zip));
  }

  getCode(name: string): { sha256: string; zip: Buffer } | undefined {
    return this.db.prepare<[string], { sha256: string; zip: Buffer }>("SELECT sha256, zip FROM lambda_code WHERE function_name = ?").get(name);
  }

  deleteFunction(name: string): boolean {
    return this.db.transaction(() => {
      this.db.prepare("DELETE FROM lambda_code WHERE function_name = ?").run(name);
      this.db.prepare("DELETE FROM lambda_permissions WHERE function_name = ?").run(name);
      return this.db.prepare("DELETE FROM lambda_functions WHERE name = ?").run(name).changes > 0;
    })();
  }

  getMapping(uuid: string): MappingRecord | undefined {
    const row = this.db.prepare<[string], MappingRow>("SELECT * FROM lambda_mappings WHERE uuid = ?").get(uuid);
    return row ? mappingFromRow(row) : undefined;
  }

  listMappings(): MappingRecord[] {
    return this.db.prepare<[], MappingRow>("SELECT * FROM lambda_mappings ORDER BY rowid").all().map(mappingFromRow);
  }

  putMapping(record: MappingRecord): void {
    this.db
      .prepare("INSERT OR REPLACE INTO lambda_mappings (uuid, function_name, event_source_arn, settings) VALUES (?, ?, ?, ?)")
      .run(record.uuid, record.functionName, record.eventSourceArn, JSON.stringify(record));
  }

  deleteMapping(uuid: string): void {
    this.db.prepare("DELETE FROM lambda_mappings WHERE uuid = ?").run(uuid);
  }

  putPermission(functionName: string, statementId: string, statement: string): boolean {
    return (
      this.db
        .prepare("INSERT OR IGNORE INTO lambda_permissions (function_name, statement_id, statement) VALUES (?, ?, ?)")
        .run(functionName, statementId, statement).changes > 0
    );
  }

  permissions(functionName: string): string[] {
    return this.db
      .prepare<[string], { statement: string }>("SELECT statement FROM lambda_permissions WHERE function_name = ? ORDER BY rowid")
      .all(functionName)
      .map((row) => row.statement);
  }

  deletePermission(functionName: string, statementId: string): boolean {
    return this.db.prepare("DELETE FROM lambda_permissions WHERE function_name = ? AND statement_id = ?").run(functionName, statementId).changes > 0;
  }
}
