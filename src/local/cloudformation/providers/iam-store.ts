/**
 * IAM roles and policies that stacks create. The local cloud has no IAM service and enforces no
 * permissions: these rows exist so that names stay unique, Fn::GetAtt Role.Arn/RoleId are stable,
 * AWS::IAM::Policy can check that its roles exist, and Lambda can check a role's trust policy.
 */
import type Database from "better-sqlite3";

export interface RoleRecord {
  name: string;
  arn: string;
  roleId: string;
  path: string;
  assumeRolePolicy: string;
  document: Record<string, unknown>;
}

export class IamStore {
  constructor(private readonly db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS cfn_iam_roles (
        name TEXT PRIMARY KEY,
        arn TEXT NOT NULL UNIQUE,
        role_id TEXT NOT NULL,
        path TEXT NOT NULL,
        assume_role_policy TEXT NOT NULL,
        document TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS cfn_iam_policies (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        roles TEXT NOT NULL
      );
    `);
  }

  role(name: string): RoleRecord | undefined {
    const row = this.db.prepare("SELECT * FROM cfn_iam_roles WHERE name = ?").get(name) as Record<string, string> | undefined;
    return row === undefined ? undefined : toRole(row);
  }

  roleByArn(arn: string): RoleRecord | undefined {
    const row = this.db.prepare("SELECT * FROM cfn_iam_roles WHERE arn = ?").get(arn) as Record<string, string> | undefined;
    return row === undefined ? undefined : toRole(row);
  }

  putRole(role: RoleRecord): void {
    this.db
      .prepare("INSERT OR REPLACE INTO cfn_iam_roles (name, arn, role_id, path, assume_role_policy, document) VALUES (?, ?, ?, ?, ?, ?)")
      .run(role.name, role.arn, role.roleId, role.path, role.assumeRolePolicy, JSON.stringify(role.document));
  }

  deleteRole(name: string): void {
    this.db.prepare("DELETE FROM cfn_iam_roles WHERE name = ?").run(name);
  }

  putPolicy(id: string, name: string, document: string, roles: string[]): void {
    this.db.prepare("INSERT OR REPLACE INTO cfn_iam_policies (id, name, document, roles) VALUES (?, ?, ?, ?)").run(id, name, document, JSON.stringify(roles));
  }

  deletePolicy(id: string): void {
    this.db.prepare("DELETE FROM cfn_iam_policies WHERE id = ?").run(id);
  }
}

function toRole(row: Record<string, string>): RoleRecord {
  return {
    name: row.name!,
    arn: row.arn!,
    roleId: row.role_id!,
    path: row.path!,
    assumeRolePolicy: row.assume_role_policy!,
    document: JSON.parse(row.document!) as Record<string, unknown>,
  };
}
