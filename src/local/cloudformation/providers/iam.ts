/**
 * AWS::IAM::Role and AWS::IAM::Policy: shape-checked and recorded, not enforced (the local cloud
 * authorises every call). The checks are the ones IAM makes on the documents themselves.
 */
import { randomBytes } from "node:crypto";
import { AwsServiceError } from "../../aws-error.js";
import type { Properties, ProviderContext, ProvisionedResource, ResourceProvider } from "./types.js";
import { jsonText, optionalString, stringList } from "./values.js";

/** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html */
const MAX_ROLE_NAME_LENGTH = 64;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
/** Unique ids IAM gives roles: "AROA" and 17 upper-case letters or digits. */
const ROLE_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function malformed(message: string): AwsServiceError {
  return new AwsServiceError("MalformedPolicyDocument", message);
}

/** Parses a policy document and checks its grammar the way IAM rejects malformed ones. */
export function checkPolicyDocument(value: unknown, trust: boolean): Record<string, unknown> {
  const text = jsonText(value);
  let document: unknown;
  try {
    document = text === undefined ? undefined : JSON.parse(text);
  } catch {
    throw malformed("Syntax errors in policy.");
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) throw malformed("Syntax errors in policy.");
  const statements = (document as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : statements !== undefined ? [statements] : [];
  if (list.length === 0) throw malformed("Syntax errors in policy.");
  for (const statement of list as Record<string, unknown>[]) {
    if (statement === null || typeof statement !== "object") throw malformed("Syntax errors in policy.");
    if (statement.Effect !== "Allow" && statement.Effect !== "Deny") throw malformed("Invalid effect: " + String(statement.Effect));
    if (statement.Action === undefined && statement.NotAction === undefined) throw malformed("Policy statement must contain actions.");
    if (trust) {
      if (statement.Principal === undefined && statement.NotPrincipal === undefined)
        throw malformed("AssumeRolepolicy contained an invalid principal: missing Principal");
    } else {
      if (statement.Principal !== undefined) throw malformed("Policy document should not specify a principal.");
      if (statement.Resource === undefined && statement.NotResource === undefined) throw malformed("Policy statement must contain resources.");
    }
  }
  return document as Record<string, unknown>;
}

function roleId(): string {
  const bytes = randomBytes(17);
  return "AROA" + [...bytes].map((byte) => ROLE_ID_ALPHABET[byte % ROLE_ID_ALPHABET.length]).join("");
}

function checkInlinePolicies(value: unknown): void {
  if (value === undefined) return;
  for (const policy of value as { PolicyName?: unknown; PolicyDocument?: unknown }[]) {
    if (optionalString(policy.PolicyName) === undefined) throw new AwsServiceError("ValidationError", "The PolicyName of an inline policy must be specified");
    checkPolicyDocument(policy.PolicyDocument, false);
  }
}

function roleResource(name: string, properties: Properties, context: ProviderContext, existingId?: string): ProvisionedResource {
  const path = optionalString(properties.Path) ?? "/";
  const assume = checkPolicyDocument(properties.AssumeRolePolicyDocument, true);
  checkInlinePolicies(properties.Policies);
  const arn = `arn:aws:iam::${context.accountId}:role${path}${name}`;
  const id = existingId ?? roleId();
  context.iam.putRole({ name, arn, roleId: id, path, assumeRolePolicy: JSON.stringify(assume), document: properties });
  return { physicalId: name, attributes: { Arn: arn, RoleId: id } };
}

export const iamRoleProvider: ResourceProvider = {
  attributes: ["Arn", "RoleId"],
  async create(properties, context) {
    const name = optionalString(properties.RoleName) ?? context.generateName({ maxLength: MAX_ROLE_NAME_LENGTH });
    if (!ROLE_NAME.test(name))
      throw new AwsServiceError(
        "ValidationError",
        `1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
      );
    const path = optionalString(properties.Path) ?? "/";
    if (!ROLE_PATH.test(path))
      throw new AwsServiceError(
        "ValidationError",
        `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`,
      );
    if (context.iam.role(name) !== undefined) throw new AwsServiceError("EntityAlreadyExists", `Role with name ${name} already exists.`, { status: 409 });
    return roleResource(name, properties, context);
  },
  async update(resource, _previous, next, context) {
    return roleResource(resource.physicalId, next, context, String(resource.attributes.RoleId));
  },
  async delete(resource, _properties, context) {
    context.iam.deleteRole(resource.physicalId);
  },
};

export const iamPolicyProvider: ResourceProvider = {
  attributes: ["Id"],
  async create(properties, context) {
    const id = context.generateName({ maxLength: 128 });
    return writePolicy(id, properties, context);
  },
  async update(resource, _previous, next, context) {
    return writePolicy(resource.physicalId, next, context);
  },
  async delete(resource, _properties, context) {
    context.iam.deletePolicy(resource.physicalId);
  },
};

function writePolicy(id: string, properties: Properties, context: ProviderContext): ProvisionedResource {
  const name = optionalString(properties.PolicyName) ?? "";
  const document = checkPolicyDocument(properties.PolicyDocument, false);
  const roles = stringList(properties.Roles) ?? [];
  const users = stringList(properties.Users) ?? [];
  const groups = stringList(properties.Groups) ?? [];
  if (roles.length + users.length + groups.length === 0) {
    throw new AwsServiceError("ValidationError", "At least one of [Groups,Roles,Users] must be non-empty.");
  }
  for (const role of roles) {
    if (context.iam.role(role) === undefined && context.iam.roleByArn(role) === undefined) {
      throw new AwsServiceError("NoSuchEntity", `The role with name ${role} cannot be found.`, { status: 404 });
    }
  }
  context.iam.putPolicy(id, name, JSON.stringify(document), roles);
  return { physicalId: id, attributes: { Id: id } };
}
