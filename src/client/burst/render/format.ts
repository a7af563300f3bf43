/** Small formatting helpers shared by the burst's renderers. */

export function fmtMs(ms: number | null): string {
  if (ms === null) return "-";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/** A latency cell: ms with one decimal below 100, whole ms above. */
export function fmtLatency(ms: number | null): string {
  if (ms === null) return "-";
  return ms >= 100 ? String(Math.round(ms)) : ms.toFixed(1);
}

export function fmtCount(n: number | null): string {
  if (n === null) return "-";
  return n.toLocaleString("en-US");
}

export function fmtRate(perSecond: number | null): string {
  if (perSecond === null) return "-";
  return `${Math.round(perSecond).toLocaleString("en-US")} msg/s`;
}

export function fmtBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

const BLOCKS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/**
 * A one-line sparkline of the last `width` values. Hand-rolled: eight block characters and a
 * scale are all it takes, and the candidates on npm pull in a second chalk.
 */
export function sparkline(values: readonly number[], width: number): string {
  const tail = values.slice(-width);
  if (tail.length === 0) return "";
  let max = 0;
  for (const v of tail) max = Math.max(max, v);
  return tail
    .map((v) => (max === 0 || v <= 0 ? " " : (BLOCKS[Math.min(BLOCKS.length - 1, Math.floor((v / max) * (BLOCKS.length - 1) + 0.5))] as string)))
    .join("");
}

/** Show at most `limit` items of a list, then how many more there are. */
export function listSome(items: readonly string[], limit = 10): string {
  if (items.length <= limit) return items.join(", ");
  return `${items.slice(0, limit).join(", ")} … and ${items.length - limit} more`;
}

export function rateLabel(rate: { kind: "max" } | { kind: "fixed"; perSecond: number }): string {
  return rate.kind === "max" ? "max" : `${rate.perSecond}/s`;
}
