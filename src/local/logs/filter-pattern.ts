/**
 * CloudWatch Logs filter patterns for unstructured events, the part a person types at a
 * terminal: terms that must all appear (case-sensitive), "quoted phrases", `-term` exclusions,
 * and `?term` alternatives (any one of them). JSON (`{ $.x = … }`) and space-delimited (`[a, b]`)
 * patterns are refused with InvalidParameterException instead of being matched wrongly.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 */
export interface FilterPattern {
  required: string[];
  excluded: string[];
  anyOf: string[];
}

export class UnsupportedFilterPattern extends Error {}

export function parseFilterPattern(pattern: string | undefined): FilterPattern | undefined {
  const text = (pattern ?? "").trim();
  if (text === "" || text === '""') return undefined;
  if (text.startsWith("{") || text.startsWith("[") || text.startsWith("%")) {
    throw new UnsupportedFilterPattern(
      "JSON, space-delimited and regular-expression filter patterns are not supported by the wsq local cloud; use plain terms.",
    );
  }
  const result: FilterPattern = { required: [], excluded: [], anyOf: [] };
  const tokens = text.match(/[-?]?"[^"]*"|\S+/g) ?? [];
  for (const token of tokens) {
    const sign = token[0] === "-" || token[0] === "?" ? token[0] : "";
    let term = sign === "" ? token : token.slice(1);
    if (term.startsWith('"') && term.endsWith('"') && term.length >= 2) term = term.slice(1, -1);
    if (term === "") continue;
    if (sign === "-") result.excluded.push(term);
    else if (sign === "?") result.anyOf.push(term);
    else result.required.push(term);
  }
  return result;
}

export function matchesFilterPattern(pattern: FilterPattern | undefined, message: string): boolean {
  if (pattern === undefined) return true;
  if (pattern.anyOf.length > 0 && !pattern.anyOf.some((term) => message.includes(term))) return false;
  if (!pattern.required.every((term) => message.includes(term))) return false;
  return !pattern.excluded.some((term) => message.includes(term));
}
