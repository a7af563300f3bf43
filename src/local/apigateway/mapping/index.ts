/**
 * API Gateway mapping templates, selection expressions and request parameter mapping for
 * WebSocket APIs. Velocity itself is velocityjs; this module adds only API Gateway's variable
 * layer ($input, $context, $stageVariables, $util) and its expression languages.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-mapping-template-reference.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-selection-expressions.html
 */
import velocity from "velocityjs";
import { parseOnce, renderAst, UNRESOLVED } from "./engine.js";
import { selectJsonPath } from "./json-path.js";
import { evaluateSelection } from "./selection.js";
import { MappingTemplateError } from "./errors.js";
import { base64Decode, base64Encode, escapeJavaScript, stringOf, urlDecode, urlEncode } from "./util.js";

export interface MappingInput {
  body: string;
  context: Record<string, unknown>;
  stageVariables?: Record<string, string>;
  /**
   * Request parameters for `$input.params()`. On a WebSocket API only `$connect` has them (the
   * upgrade request's headers and query string); MESSAGE frames have none, so this is optional.
   */
  params?: { header?: Record<string, string>; querystring?: Record<string, string>; path?: Record<string, string> };
}

export { MappingTemplateError };

/** API Gateway's quota on the size of one mapping template (300 KB).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html */
export const MAX_MAPPING_TEMPLATE_BYTES = 300 * 1024;

type Ast = ReturnType<typeof velocity.parse>;

function checkSize(template: string): void {
  if (Buffer.byteLength(template, "utf8") > MAX_MAPPING_TEMPLATE_BYTES) {
    throw new MappingTemplateError(`Mapping template exceeds ${MAX_MAPPING_TEMPLATE_BYTES} bytes`);
  }
}

function compile(template: string): Ast {
  try {
    return parseOnce(template, checkSize);
  } catch (error) {
    if (error instanceof MappingTemplateError) throw error;
    throw new MappingTemplateError(`Invalid mapping template: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
}

/**
 * The body as a JSON value for `$input.json()` / `$input.path()`. An empty body reads as `{}`
 * (REST APIs are observed to render `$input.json('$')` of a bodiless request as `{}`). A body that
 * is not JSON is an error, raised only when the template actually asks for a JSONPath: API Gateway
 * answers such a request with "Could not parse request body into json: ..." (observed on REST APIs;
 * not documented for WebSocket APIs, where the gateway then sends its "Internal server error"
 * frame). A template that uses only `$input.body` works with any text.
 */
function bodyRoot(body: string): () => unknown {
  let parsed: { value: unknown } | undefined;
  return () => {
    if (parsed !== undefined) return parsed.value;
    if (body.trim() === "") {
      parsed = { value: {} };
      return parsed.value;
    }
    try {
      parsed = { value: JSON.parse(body) as unknown };
    } catch (error) {
      throw new InvalidJsonBodyError(`Could not parse request body into json: ${error instanceof Error ? error.message : String(error)}`);
    }
    return parsed.value;
  };
}

/** The body is not JSON but the template selects from it with `$input.json()` / `$input.path()`. */
export class InvalidJsonBodyError extends MappingTemplateError {
  override readonly name: string = "InvalidJsonBodyError";
}

type Params = NonNullable<MappingInput["params"]>;

function inputVariable(body: string, params: Params) {
  const root = bodyRoot(body);
  const all = { path: { ...params.path }, querystring: { ...params.querystring }, header: { ...params.header } };
  return {
    body,
    // JSON text of the selection; "" when it selects nothing (the text then reads as absent).
    json: (path: unknown): string => {
      const value = selectJsonPath(root(), stringOf(path));
      return value === undefined ? "" : JSON.stringify(value);
    },
    // A fresh copy each call: velocityjs writes into objects that templates call methods on.
    path: (path: unknown): unknown => {
      const value = selectJsonPath(root(), stringOf(path));
      return value === undefined ? undefined : structuredClone(value);
    },
    // `$input.params()` is the map {path, querystring, header}; `$input.params(name)` looks in
    // path, then query string, then header, as API Gateway documents.
    params: (name?: unknown): unknown => {
      if (name === undefined) return structuredClone(all);
      const key = stringOf(name);
      for (const source of [all.path, all.querystring] as Record<string, string>[]) {
        if (Object.prototype.hasOwnProperty.call(source, key)) return source[key];
      }
      const header = Object.entries(all.header).find(([headerName]) => headerName.toLowerCase() === key.toLowerCase());
      return header?.[1];
    },
  };
}

/**
 * A `$util` function that takes a String, as API Gateway documents each of them ("converts a
 * string", "escapes the characters in a string", "parses a JSON string"...). Java Velocity finds
 * no such method for a number, a boolean, a map or a list, and a null argument is no string
 * either: the strict reading here is that every non-string argument leaves the reference
 * unresolved (rendered as its own text), so a template that relies on the argument being
 * converted breaks locally as it may on AWS. Quote the argument to pass its text: `"$n"`.
 */
function takesString<T>(fn: (text: string) => T): (value: unknown) => T | typeof UNRESOLVED {
  return (value) => (typeof value === "string" ? fn(value) : UNRESOLVED);
}

function utilVariable() {
  return {
    escapeJavaScript: takesString(escapeJavaScript),
    urlEncode: takesString(urlEncode),
    urlDecode: takesString(urlDecode),
    base64Encode: takesString(base64Encode),
    base64Decode: takesString(base64Decode),
    parseJson: takesString((text): unknown => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new MappingTemplateError("$util.parseJson: the argument is not valid JSON");
      }
    }),
  };
}

/**
 * Renders an API Gateway mapping template. References that resolve to nothing render as empty
 * text, as API Gateway renders them (plain Velocity would print the reference itself).
 */
export function renderMappingTemplate(template: string, input: MappingInput): string {
  const ast = compile(template);
  // Copies: velocityjs assigns into objects a template calls methods on, and #set can write into
  // $context; neither may leak into the caller's request.
  const data = {
    input: inputVariable(input.body, input.params ?? {}),
    context: structuredClone(input.context),
    stageVariables: { ...input.stageVariables },
    util: utilVariable(),
  };
  try {
    return renderAst(ast, data);
  } catch (error) {
    if (error instanceof MappingTemplateError) throw error;
    throw new MappingTemplateError(`Mapping template failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
}

/**
 * Evaluates a selection expression like `$request.body.action`, `\$default` or
 * `${request.body.version}-beta` (see selection.ts for the whole language). Undefined when the
 * body is not JSON or a variable selects nothing; the caller then falls back to `$default`.
 */
export function evaluateSelectionExpression(
  expression: string,
  request: {
    body: string;
    context?: Record<string, unknown>;
    headers?: Record<string, string>;
    query?: Record<string, string>;
    stageVariables?: Record<string, string>;
  },
): string | undefined {
  return evaluateSelection(expression, request);
}

export { evaluateSelection, selectKey, type SelectionRequest } from "./selection.js";

function lookup(root: Record<string, unknown>, dotted: string): unknown {
  let current: unknown = root;
  for (const key of dotted.split(".")) {
    if (current === null || typeof current !== "object" || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Resolves one RequestParameters value: a quoted static value (`'application/json'`),
 * `route.request.header.NAME` (case-insensitive), `route.request.querystring.NAME`,
 * `context.NAME` or `stageVariables.NAME`.
 */
export function resolveParameterValue(
  source: string,
  request: { headers: Record<string, string>; query: Record<string, string>; context: Record<string, unknown>; stageVariables?: Record<string, string> },
): string | undefined {
  const text = source.trim();
  const quoted = /^'(.*)'$/s.exec(text);
  if (quoted !== null) return quoted[1];
  const header = /^route\.request\.header\.(.+)$/.exec(text);
  if (header !== null) {
    const wanted = header[1]!.toLowerCase();
    const found = Object.entries(request.headers).find(([name]) => name.toLowerCase() === wanted);
    return found?.[1];
  }
  const query = /^route\.request\.querystring\.(.+)$/.exec(text);
  if (query !== null) return request.query[query[1]!];
  if (text.startsWith("context.")) {
    const value = lookup(request.context, text.slice("context.".length));
    return value === undefined || value === null ? undefined : stringOf(value);
  }
  if (text.startsWith("stageVariables.")) return request.stageVariables?.[text.slice("stageVariables.".length)];
  return undefined;
}
