/**
 * Durable API definitions: every API, route, integration, response, stage and deployment as one
 * JSON row, so a restarted local cloud serves the APIs it had. Connections are not stored: they
 * die with the process, as they would when API Gateway drops them.
 */
import type Database from "better-sqlite3";

export type ResourceKind = "api" | "route" | "routeResponse" | "integration" | "integrationResponse" | "stage" | "deployment";

export class ApiGatewayStore {
  private readonly insert: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly removeApi: Database.Statement;
  private readonly all: Database.Statement;

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS apigw_resources (
      api_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      id TEXT NOT NULL,
      body TEXT NOT NULL,
      PRIMARY KEY (api_id, kind, id)
    )`);
    this.insert = db.prepare(
      "INSERT INTO apigw_resources (api_id, kind, id, body) VALUES (?, ?, ?, ?) ON CONFLICT (api_id, kind, id) DO UPDATE SET body = excluded.body",
    );
    this.remove = db.prepare("DELETE FROM apigw_resources WHERE api_id = ? AND kind = ? AND id = ?");
    this.removeApi = db.prepare("DELETE FROM apigw_resources WHERE api_id = ?");
    this.all = db.prepare("SELECT api_id, kind, id, body FROM apigw_resources");
  }

  put(apiId: string, kind: ResourceKind, id: string, body: unknown): void {
    this.insert.run(apiId, kind, id, JSON.stringify(body));
  }

  delete(apiId: string, kind: ResourceKind, id: string): void {
    this.remove.run(apiId, kind, id);
  }

  deleteApi(apiId: string): void {
    this.removeApi.run(apiId);
  }

  transaction(work: () => void): void {
    this.db.transaction(work)();
  }

  load(): { apiId: string; kind: ResourceKind; id: string; body: unknown }[] {
    return (this.all.all() as { api_id: string; kind: ResourceKind; id: string; body: string }[]).map((row) => ({
      apiId: row.api_id,
      kind: row.kind,
      id: row.id,
      body: JSON.parse(row.body) as unknown,
    }));
  }
}
