/**
 * API Gateway's selection expression language (WebSocket APIs).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-selection-expressions.html
 * The documented rules, all implemented here:
 * - a variable starts with `$`; `${...}` bounds it explicitly (`${request.body.version}-beta`);
 * - several variables may appear, each evaluated once (a value containing `$` is not re-read);
 * - `\$` is a literal dollar sign (`\$default` is the key `$default`);
 * - a `/regex/` key is a pattern (route response and integration response keys, e.g. `/2\d\d/`):
 *   see {@link selectKey}.
 */
import { selectJsonPath } from "./json-path.js";
import { stringOf } from "./util.js";

export interface SelectionRequest {
  body: string;
  context?: Record<string, unknown>;
  /** Only a `$connect` request has headers and a query string. */
  headers?: Record<string, string>;
  query?: Record<string, string>;
  stageVariables?: Record<string, string>;
  /** For IntegrationResponseSelectionExpression: `${integration.response.statuscode}`. */
  integrationStatusCode?: number;
}

type Part = { literal: string } | { variable: string };

/** Characters an unbraced variable may contain: `$request.header.x-api-key`, `$request.body.a[0].b`. */
const UNBRACED = /^[A-Za-z0-9_.\-[\]]+/;

function tokenize(expression: string): Part[] {
  const parts: Part[] = [];
  let literal = "";
  let i = 0;
  while (i < expression.length) {
    const ch = expression[i]!;
    if (ch === "\\" && expression[i + 1] === "$") {
      literal += "$";
      i += 2;
    } else if (ch === "$" && expression[i + 1] === "{") {
      const close = expression.indexOf("}", i + 2);
      if (close === -1) {
        literal += expression.slice(i);
        break;
      }
      if (literal !== "") parts.push({ literal });
      literal = "";
      parts.push({ variable: expression.slice(i + 2, close).trim() });
      i = close + 1;
    } else if (ch === "$" && UNBRACED.test(expression.slice(i + 1))) {
      const name = UNBRACED.exec(expression.slice(i + 1))![0].replace(/\.+$/, "");
      if (literal !== "") parts.push({ literal });
      literal = "";
      parts.push({ variable: name });
      i += 1 + name.length;
    } else {
      literal += ch;
      i += 1;
    }
  }
  if (literal !== "") parts.push({ literal });
  return parts;
}

function lookup(root: unknown, dotted: string): unknown {
  let current: unknown = root;
  for (const key of dotted.split(".")) {
    if (current === null || typeof current !== "object" || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function findHeader(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  const wanted = name.toLowerCase();
  return Object.entries(headers).find(([key]) => key.toLowerCase() === wanted)?.[1];
}

function variableValue(variable: string, request: SelectionRequest): unknown {
  if (variable === "request.body") return request.body;
  if (variable.startsWith("request.body.") || variable.startsWith("request.body[")) {
    let body: unknown;
    try {
      body = JSON.parse(request.body) as unknown;
    } catch {
      return undefined; // not JSON: nothing selected, the caller falls back to $default
    }
    return selectJsonPath(body, "$" + variable.slice("request.body".length));
  }
  if (variable.startsWith("request.header.")) return findHeader(request.headers, variable.slice("request.header.".length));
  if (variable.startsWith("request.querystring.")) return request.query?.[variable.slice("request.querystring.".length)];
  if (variable.startsWith("context.")) return lookup(request.context, variable.slice("context.".length));
  if (variable.startsWith("stageVariables.")) return request.stageVariables?.[variable.slice("stageVariables.".length)];
  if (variable === "integration.response.statuscode") return request.integrationStatusCode;
  return undefined;
}

/**
 * Evaluates a selection expression to a key. Undefined when any variable in it selects nothing
 * (a missing member, JSON null, a non-JSON body, an unknown variable), so the caller falls back to
 * `$default`, as API Gateway routes such messages.
 */
export function evaluateSelection(expression: string, request: SelectionRequest): string | undefined {
  let out = "";
  for (const part of tokenize(expression.trim())) {
    if ("literal" in part) {
      out += part.literal;
      continue;
    }
    const value = variableValue(part.variable, request);
    if (value === undefined || value === null) return undefined;
    out += stringOf(value);
  }
  return out;
}

/**
 * Picks the key an evaluated selection value selects from `keys`: an exact match first, then the
 * first `/pattern/` key whose regex matches the whole value, then `$default` when present.
 */
export function selectKey(value: string | undefined, keys: Iterable<string>): string | undefined {
  const all = [...keys];
  if (value !== undefined) {
    if (all.includes(value)) return value;
    for (const key of all) {
      if (key.length >= 2 && key.startsWith("/") && key.endsWith("/")) {
        try {
          if (new RegExp(`^(?:${key.slice(1, -1)})$`, "u").test(value)) return key;
        } catch {
          // an invalid pattern selects nothing
        }
      }
    }
  }
  return all.includes("$default") ? "$default" : undefined;
}
