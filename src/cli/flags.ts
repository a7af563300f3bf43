import { WsqError } from "../shared/errors.js";

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `10m`, `2h`, `1d` → milliseconds (what `aws logs tail --since` accepts, minus weeks). */
export function parseSince(text: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (!match) throw new WsqError("BAD_SINCE", `--since "${text}" is not a duration.`, { hint: "Use a number and a unit: 30s, 10m, 2h or 1d.", exitCode: 2 });
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
}
