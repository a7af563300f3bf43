import { resolve as resolvePath } from "node:path";
import { ExitCode, WsqError } from "../shared/errors.js";
import { defaultLocalDataDir } from "../shared/paths.js";

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `10m`, `2h`, `1d` → milliseconds (what `aws logs tail --since` accepts, minus weeks). */
export function parseSince(text: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (!match) throw new WsqError("BAD_SINCE", `--since "${text}" is not a duration.`, { hint: "Use a number and a unit: 30s, 10m, 2h or 1d.", exitCode: 2 });
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
}

export function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) {
    throw new WsqError("BAD_PORT", `--port must be a whole number from 0 to 65535, not "${raw}".`, {
      hint: "Use 0 to pick a free port.",
      exitCode: ExitCode.usage,
    });
  }
  return port;
}

export function parseLines(raw: string): number {
  if (!/^\d+$/.test(raw)) {
    throw new WsqError("BAD_LINES", `--lines must be a whole number, not "${raw}".`, { exitCode: ExitCode.usage });
  }
  return Number(raw);
}

/** --data-dir as an absolute path, or the default data directory of this environment. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolvePath(flag ?? defaultLocalDataDir(env));
}

/** A repeatable flag's values, in order. Without a commander default, so that help does not print "(default: [])". */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** A flag given in seconds (fractions allowed), in milliseconds. */
export function parseSeconds(flag: string, raw: string, allowZero: boolean): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new WsqError("BAD_FLAG", `${flag} must be a number of seconds${allowZero ? "" : " above 0"}, not "${raw}".`, { exitCode: ExitCode.usage });
  }
  return value * 1000;
}
