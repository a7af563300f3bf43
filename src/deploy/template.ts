/**
 * The templates wsq ships (templates/ in the package) and the user's --parameter flags checked
 * against them before anything is sent, so a typo is a usage error on both targets alike.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { WsqError, ExitCode } from "../shared/errors.js";
import { parseCloudFormationYaml, type CloudFormationTemplate } from "./cfn-yaml.js";
import { packageRoot } from "./handler-bundle.js";

export const PATTERN_TEMPLATE = "wsq.yaml";
export const ASSETS_TEMPLATE = "wsq-assets.yaml";
/** One asset stack per account and region, shared by every wsq stack there. */
export const ASSETS_STACK_NAME = "wsq-assets";
/** Parameters wsq sets itself on every deploy. */
export const MANAGED_PARAMETERS = ["AssetBucket", "AssetKey"] as const;

/**
 * Stack names: CloudFormation allows 128 characters, but the template derives
 * `<stack>-handler` (Lambda: at most 64) and `/aws/lambda/<stack>-handler`; the queue names
 * CloudFormation generates shorten the stack part to fit SQS's 80 by themselves.
 */
export const MAX_STACK_NAME_LENGTH = 50;
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]*$/;

export interface LoadedTemplate {
  name: string;
  body: string;
  parsed: CloudFormationTemplate;
}

export function loadTemplate(name: string, root = packageRoot()): LoadedTemplate {
  const body = readFileSync(join(root, "templates", name), "utf8");
  return { name, body, parsed: parseCloudFormationYaml(body) };
}

export function validateStackName(name: string): string {
  if (!STACK_NAME_PATTERN.test(name) || name.length > MAX_STACK_NAME_LENGTH) {
    throw new WsqError("BAD_STACK_NAME", `"${name}" is not a usable stack name.`, {
      hint: `Use a letter followed by letters, digits and hyphens, at most ${MAX_STACK_NAME_LENGTH} characters (the function and API names are derived from it).`,
      exitCode: ExitCode.usage,
    });
  }
  if (name === ASSETS_STACK_NAME) {
    throw new WsqError("BAD_STACK_NAME", `"${ASSETS_STACK_NAME}" is the name of wsq's asset stack.`, {
      hint: "Choose another --stack-name.",
      exitCode: ExitCode.usage,
    });
  }
  return name;
}

/** `KEY=VALUE` flags → map, with keys and values checked against the template's Parameters. */
export function parseParameterFlags(flags: readonly string[], template: CloudFormationTemplate): Record<string, string> {
  const declared = template.Parameters ?? {};
  const userSettable = Object.keys(declared).filter((k) => !(MANAGED_PARAMETERS as readonly string[]).includes(k));
  const result: Record<string, string> = {};
  for (const flag of flags) {
    const index = flag.indexOf("=");
    if (index <= 0) {
      throw new WsqError("BAD_PARAMETER", `--parameter "${flag}" is not KEY=VALUE.`, {
        hint: `For example --parameter BatchSize=5. Parameters: ${userSettable.join(", ")}.`,
        exitCode: ExitCode.usage,
      });
    }
    const key = flag.slice(0, index);
    const value = flag.slice(index + 1);
    const spec = declared[key];
    if ((MANAGED_PARAMETERS as readonly string[]).includes(key)) {
      throw new WsqError("BAD_PARAMETER", `${key} is set by wsq itself.`, {
        hint: "Use --handler FILE to deploy other handler code.",
        exitCode: ExitCode.usage,
      });
    }
    if (!spec) {
      throw new WsqError("BAD_PARAMETER", `The template has no parameter "${key}".`, {
        hint: `Parameters: ${userSettable.join(", ")}.`,
        exitCode: ExitCode.usage,
      });
    }
    const problem = checkParameterValue(value, spec);
    if (problem) {
      throw new WsqError("BAD_PARAMETER", `--parameter ${key}=${value}: ${problem}.`, {
        hint: spec.Description ?? `See the Parameters of templates/${PATTERN_TEMPLATE}.`,
        exitCode: ExitCode.usage,
      });
    }
    result[key] = value;
  }
  return result;
}

function checkParameterValue(value: string, spec: NonNullable<CloudFormationTemplate["Parameters"]>[string]): string | undefined {
  if (spec.Type === "Number") {
    if (value.trim() === "" || !Number.isFinite(Number(value))) return "must be a number";
    const n = Number(value);
    if (spec.MinValue !== undefined && n < spec.MinValue) return `must be at least ${spec.MinValue}`;
    if (spec.MaxValue !== undefined && n > spec.MaxValue) return `must be at most ${spec.MaxValue}`;
  }
  if (spec.AllowedValues && !spec.AllowedValues.map(String).includes(spec.Type === "Number" ? String(Number(value)) : value)) {
    return `must be one of ${spec.AllowedValues.join(", ")}`;
  }
  if (spec.AllowedPattern && !new RegExp(spec.AllowedPattern).test(value)) return `must match ${spec.AllowedPattern}`;
  return undefined;
}
