/**
 * What a typed (or piped) line means. Pure, so the rules are tested without a terminal.
 *
 * Rules (docs/connect.md):
 * - `/word args` is a slash command (interactive only).
 * - A line starting with `{` or `[` is JSON and is sent exactly as typed when it parses. When it
 *   does not parse it is refused, never sent as text by accident: the user fixes it, or sends the
 *   line as plain text with `/text LINE`. JSON is detected by parsing, not by reading parser error
 *   messages (wscat reverted multi-line input because those messages are unreliable).
 * - Anything else, including bare JSON scalars such as `42` or `true`, is plain text and goes out
 *   in the pattern's envelope with `data` set to the line.
 */
export type InputLine =
  | { kind: "empty" }
  | { kind: "command"; name: string; args: string }
  | { kind: "json"; frame: string; value: unknown }
  | { kind: "bad-json"; text: string; error: string }
  | { kind: "text"; text: string };

export function classifyLine(line: string, options: { commands: boolean }): InputLine {
  const trimmed = line.trim();
  if (trimmed === "") return { kind: "empty" };
  if (options.commands && /^\/[a-zA-Z]/.test(trimmed)) {
    const match = /^\/(\S+)\s*(.*)$/s.exec(trimmed) as RegExpExecArray;
    return { kind: "command", name: (match[1] as string).toLowerCase(), args: match[2] ?? "" };
  }
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      const value: unknown = JSON.parse(trimmed);
      return { kind: "json", frame: trimmed, value };
    } catch (error) {
      return { kind: "bad-json", text: trimmed, error: (error as Error).message };
    }
  }
  return { kind: "text", text: line };
}

/**
 * Whether a JSON text is still open (more `{`/`[` than closers outside strings), so the
 * interactive prompt can keep reading lines of a pasted multi-line object. Decided by scanning
 * brackets and string escapes, which is exact, rather than by the parser's error wording.
 */
export function isUnterminatedJson(text: string): boolean {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (const char of trimmed) {
    if (inString) {
      if (escaped) escaped = false;
      else if (char === "\\") escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "{" || char === "[") depth += 1;
    else if (char === "}" || char === "]") {
      depth -= 1;
      if (depth < 0) return false;
    }
  }
  // JSON strings cannot hold a raw newline, so a string still open at the end is an error, not more to come.
  return depth > 0 && !inString;
}
