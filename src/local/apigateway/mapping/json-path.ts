/**
 * The JSONPath API Gateway mapping templates use. AWS documents JSONPath only by reference to
 * Goessner's article; the forms templates use in practice are supported: `$`, `$.a.b`, `$['a']`,
 * `$["a"]`, `$.a[0]`, `$.a[-1]` (from the end), and the wildcards `$.*`, `$.a[*]` and deep scan
 * `$..a`. A path with a wildcard or deep scan selects a list (possibly empty), as Jayway JsonPath
 * (the Java library Goessner's syntax is usually run with) does; a definite path selects one value
 * or nothing. Filters (`[?()]`), slices, unions and functions are refused (undefined): rarely used
 * in mapping templates, and their exact AWS behaviour is not documented (docs/apigateway-mapping.md).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-mapping-template-reference.html
 * https://goessner.net/articles/JsonPath/
 */
export type PathStep = string | number | { wildcard: true } | { deep: string | { wildcard: true } };

/** Parses a path into steps, or undefined when it is not in the supported subset. */
export function parseJsonPath(path: string): PathStep[] | undefined {
  const text = path.trim();
  if (!text.startsWith("$")) return undefined;
  const steps: PathStep[] = [];
  let i = 1;
  while (i < text.length) {
    const rest = text.slice(i);
    if (rest.startsWith("..")) {
      const member = /^\.\.([^.[\]]+)/.exec(rest);
      if (member !== null) {
        steps.push({ deep: member[1] === "*" ? { wildcard: true } : member[1]! });
        i += member[0].length;
        continue;
      }
      const bracket = /^\.\.\[\s*(['"])((?:\\.|(?!\1).)*)\1\s*\]/.exec(rest);
      if (bracket === null) return undefined;
      steps.push({ deep: (bracket[2] ?? "").replace(/\\(.)/g, "$1") });
      i += bracket[0].length;
    } else if (rest.startsWith(".")) {
      const match = /^\.([^.[\]]+)/.exec(rest);
      if (match === null) return undefined;
      steps.push(match[1] === "*" ? { wildcard: true } : match[1]!.trim());
      i += match[0].length;
    } else if (rest.startsWith("[")) {
      const quoted = /^\[\s*(['"])((?:\\.|(?!\1).)*)\1\s*\]/.exec(rest);
      const index = /^\[\s*(-?\d+)\s*\]/.exec(rest);
      const star = /^\[\s*\*\s*\]/.exec(rest);
      if (quoted !== null) {
        steps.push((quoted[2] ?? "").replace(/\\(.)/g, "$1"));
        i += quoted[0].length;
      } else if (index !== null) {
        steps.push(Number(index[1]));
        i += index[0].length;
      } else if (star !== null) {
        steps.push({ wildcard: true });
        i += star[0].length;
      } else {
        return undefined;
      }
    } else {
      return undefined;
    }
  }
  return steps;
}

function member(value: unknown, key: string): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function element(value: unknown, index: number): unknown {
  if (!Array.isArray(value)) return undefined;
  return value[index < 0 ? value.length + index : index];
}

function children(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === "object") return Object.values(value);
  return [];
}

/** Every value at or below `value`, document order (the node itself first). */
function descendants(value: unknown, out: unknown[] = []): unknown[] {
  out.push(value);
  for (const child of children(value)) descendants(child, out);
  return out;
}

/** The value at `path` in `root`; undefined when the path selects nothing or is unsupported. */
export function selectJsonPath(root: unknown, path: string): unknown {
  const steps = parseJsonPath(path);
  if (steps === undefined) return undefined;
  let nodes: unknown[] = [root];
  // Indefinite as soon as any step is a wildcard or deep scan, even if evaluation stops earlier.
  const definite = steps.every((step) => typeof step === "string" || typeof step === "number");
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (typeof step === "string") {
        const value = member(node, step);
        if (value !== undefined) next.push(value);
      } else if (typeof step === "number") {
        const value = element(node, step);
        if (value !== undefined) next.push(value);
      } else if ("wildcard" in step) {
        next.push(...children(node));
      } else {
        for (const candidate of descendants(node)) {
          if (typeof step.deep === "string") {
            const value = member(candidate, step.deep);
            if (value !== undefined) next.push(value);
          } else if (candidate !== node) {
            next.push(candidate);
          }
        }
      }
    }
    nodes = next;
  }
  if (!definite) return nodes;
  return nodes[0];
}
