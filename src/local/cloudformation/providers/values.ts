/**
 * Template property values arrive as JSON (numbers may be strings: CloudFormation passes every
 * scalar as a string to its handlers and the registry schema coerces them); these turn them into
 * the types the service APIs take.
 */
import { AwsServiceError } from "../../aws-error.js";

export function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

export function requiredString(value: unknown, name: string): string {
  const text = optionalString(value);
  if (text === undefined || text === "") throw new AwsServiceError("InvalidRequest", `Property ${name} cannot be empty.`);
  return text;
}

export function optionalInteger(value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const number = typeof value === "number" ? value : Number(value);
  return Number.isFinite(number) ? Math.trunc(number) : undefined;
}

export function optionalBoolean(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  return optionalString(value)?.toLowerCase() === "true";
}

/** Policies and other JSON-typed properties may be given as objects or as JSON text. */
export function jsonText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function stringMap(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    const text = optionalString(item);
    if (text !== undefined) out[key] = text;
  }
  return out;
}

/** `Tags: [{Key, Value}]` (most types) → `{Key: Value}` (what the service APIs take). */
export function tagList(value: unknown): Record<string, string> | undefined {
  if (!Array.isArray(value)) return stringMap(value);
  const out: Record<string, string> = {};
  for (const tag of value as { Key?: unknown; Value?: unknown }[]) {
    const key = optionalString(tag.Key);
    if (key !== undefined) out[key] = optionalString(tag.Value) ?? "";
  }
  return out;
}

export function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return [optionalString(value) ?? ""];
  return value.map((item) => optionalString(item) ?? "");
}

/** Deep equality of JSON values, order-sensitive for lists (as CloudFormation compares). */
export function sameValue(left: unknown, right: unknown): boolean {
  return JSON.stringify(normalize(left)) === JSON.stringify(normalize(right));
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, normalize((value as Record<string, unknown>)[key])]),
    );
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return value;
}

/** A service error meaning "already gone", which a delete treats as success. */
export function isNotFound(error: unknown): boolean {
  if (!(error instanceof AwsServiceError)) return false;
  return /NotFound|NonExistent|DoesNotExist|NoSuch/i.test(error.code) || (error.queryCode !== undefined && /NonExistent/i.test(error.queryCode));
}
