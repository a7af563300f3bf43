import { WsqError, ExitCode } from "../../shared/errors.js";
import { DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import { resolveTarget, requireLocalEndpoint, type TargetFlags } from "../../shared/target.js";
import { findStackOutputs } from "../../deploy/stack-outputs.js";

/** The flags `connect` and `burst` share to say which WebSocket API to talk to. */
export interface WebSocketTargetFlags extends TargetFlags {
  url?: string;
  stackName?: string;
}

/** Accepts ws:// and wss:// URLs; anything else is a usage error that names the fix. */
export function validateWebSocketUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WsqError("BAD_URL", `"${raw}" is not a URL.`, {
      hint: "Pass a WebSocket URL such as wss://abc123.execute-api.us-east-1.amazonaws.com/prod.",
      exitCode: ExitCode.usage,
    });
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    const suggestion = url.protocol === "https:" || url.protocol === "http:" ? ` Did you mean ${raw.replace(/^http/, "ws")}?` : "";
    throw new WsqError("BAD_URL", `"${raw}" is not a WebSocket URL (it must start with ws:// or wss://).${suggestion}`, {
      hint: "Use the stack's WebSocketUrl output (`wsq status`), or pass --stack-name instead of --url.",
      exitCode: ExitCode.usage,
    });
  }
  return raw;
}

/**
 * The WebSocket URL to open: --url as given, else the WebSocketUrl output of the stack, asked of
 * CloudFormation on the chosen target (the same call for local and aws).
 */
export async function resolveWebSocketUrl(flags: WebSocketTargetFlags, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (flags.url !== undefined) {
    if (flags.stackName !== undefined) {
      throw new WsqError("URL_AND_STACK", "Pass either --url or --stack-name, not both.", { exitCode: ExitCode.usage });
    }
    return validateWebSocketUrl(flags.url);
  }
  const target = resolveTarget(flags, env);
  if (target.kind === "local") requireLocalEndpoint(target);
  const outputs = await findStackOutputs(target, flags.stackName ?? DEFAULT_STACK_NAME, env);
  return validateWebSocketUrl(outputs.WebSocketUrl);
}

/** `--header "Key: value"` (repeatable) into a header map; a malformed one is a usage error. */
export function parseHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(":");
    const name = colon > 0 ? value.slice(0, colon).trim() : "";
    // RFC 9110 §5.6.2: a header name is a token.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new WsqError("BAD_HEADER", `--header "${value}" is not KEY:VALUE.`, {
        hint: 'Write it as --header "Authorization: Bearer TOKEN".',
        exitCode: ExitCode.usage,
      });
    }
    headers[name] = value.slice(colon + 1).trim();
  }
  return headers;
}
