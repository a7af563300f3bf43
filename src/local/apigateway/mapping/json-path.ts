/**
 * The JSONPath subset API Gateway mapping templates use: `$`, `$.a.b`, `$['a']`, `$["a"]`,
 * `$.a[0]`, and `.length()`-free member chains. API Gateway documents JSONPath by reference to
 * Goessner's article; wildcards and filters are not supported here (see docs/apigateway.md).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-mapping-template-reference.html
 */
export type PathStep = string | number;

/** Parses a path into steps, or undefined when it is not in the supported subset. */
export function parseJsonPath(path: string): PathStep[] | undefined {
  const text = path.trim();
  if (!text.startsWith("$")) return undefined;
  const steps: PathStep[] = [];
  let i = 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ".") {
      const match = /^[^.[\]]+/.exec(text.slice(i + 1));
      if (match === null) return undefined;
      steps.push(match[0]);
      i += 1 + match[0].length;
    } else if (ch === "[") {
      const rest = text.slice(i);
      const quoted = /^\[\s*(['"])((?:\\.|(?!\1).)*)\1\s*\]/.exec(rest);
      if (quoted !== null) {
        steps.push((quoted[2] ?? "").replace(/\\(.)/g, "$1"));
        i += quoted[0].length;
        continue;
      }
      const index = /^\[\s*(\d+)\s*\]/.exec(rest);
      if (index === null) return undefined;
      steps.push(Number(index[1]));
      i += index[0].length;
    } else {
      return undefined;
    }
  }
  return steps;
}

/** The value at `path` in `root`; undefined when the path does not exist or is unsupported. */
export function selectJsonPath(root: unknown, path: string): unknown {
  const steps = parseJsonPath(path);
  if (steps === undefined) return undefined;
  let current: unknown = root;
  for (const step of steps) {
    if (typeof step === "number") {
      if (!Array.isArray(current)) return undefined;
      current = current[step];
    } else {
      if (current === null || typeof current !== "object" || Array.isArray(current)) return undefined;
      if (!Object.prototype.hasOwnProperty.call(current, step)) return undefined;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}
