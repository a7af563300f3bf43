import type { QuotaCheck } from "../quota.js";
import type { BurstReport, HistogramBin } from "../types.js";
import { describePrediction, describeSettings } from "./consumer.js";
import { fmtBytes, fmtCount, fmtLatency, fmtMs, fmtRate, rateLabel } from "./format.js";

/**
 * `--report FILE.html`: one self-contained page (no executable script, no network, inline SVG) with the queue
 * depth and rate timelines, the latency histogram and the verification, from the same report
 * --json prints. The report itself is embedded as JSON so the page is also the run's artifact.
 */

const W = 760;
const H = 220;
const PAD = { left: 56, right: 16, top: 16, bottom: 32 };

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] as string);
}

interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

/** Round axis maxima to 1, 2 or 5 × a power of ten so tick labels read naturally. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

export function lineChart(title: string, series: readonly Series[], xLabel: string, yLabel: string): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p class="none">No data.</p></figure>`;
  const xMax = Math.max(1, ...all.map((p) => p.x));
  const yMax = niceMax(Math.max(...all.map((p) => p.y)));
  const sx = (x: number) => PAD.left + (x / xMax) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const y = sy(f * yMax);
      return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/><text x="${PAD.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${fmtCount(Math.round(f * yMax))}</text>`;
    })
    .join("");
  const xTicks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<text x="${sx(f * xMax).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${((f * xMax) / 1000).toFixed(2)}</text>`)
    .join("");
  const paths = series
    .filter((s) => s.points.length > 0)
    .map(
      (s) =>
        `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ")}"><title>${esc(s.name)}</title></polyline>`,
    )
    .join("");
  const legend = series.map((s) => `<span style="color:${s.color}">■</span> ${esc(s.name)}`).join(" &nbsp; ");
  return `<figure><figcaption>${esc(title)}</figcaption>
<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${grid}${xTicks}${paths}
<text x="${W / 2}" y="${H - 2}" text-anchor="middle">${esc(xLabel)}</text><text x="12" y="${H / 2}" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">${esc(yLabel)}</text></svg>
<div class="legend">${legend}</div></figure>`;
}

export function histogramChart(title: string, bins: readonly HistogramBin[]): string {
  if (bins.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p class="none">No results.</p></figure>`;
  const yMax = niceMax(Math.max(...bins.map((b) => b.count)));
  const barW = (W - PAD.left - PAD.right) / bins.length;
  const bars = bins
    .map((b, i) => {
      const h = (b.count / yMax) * (H - PAD.top - PAD.bottom);
      const x = PAD.left + i * barW;
      const y = H - PAD.bottom - h;
      const label =
        i % Math.max(1, Math.ceil(bins.length / 10)) === 0
          ? `<text x="${(x + barW / 2).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${fmtLatency(b.from)}</text>`
          : "";
      return `<rect x="${(x + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barW - 2).toFixed(1)}" height="${h.toFixed(1)}" class="bar"><title>${fmtLatency(b.from)}–${fmtLatency(b.to)} ms: ${b.count}</title></rect>${label}`;
    })
    .join("");
  const grid = [0, 0.5, 1]
    .map((f) => {
      const y = H - PAD.bottom - f * (H - PAD.top - PAD.bottom);
      return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/><text x="${PAD.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${fmtCount(Math.round(f * yMax))}</text>`;
    })
    .join("");
  return `<figure><figcaption>${esc(title)}</figcaption>
<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${grid}${bars}
<text x="${W / 2}" y="${H - 2}" text-anchor="middle">end-to-end latency, ms (log-spaced bins)</text></svg></figure>`;
}

function quotaText(q: QuotaCheck): string {
  const takes =
    q.mode === "high-throughput"
      ? `high-throughput FIFO queue, ${q.quotaPerSecond} SendMessage/s per message group`
      : q.mode === "per-queue"
        ? `FIFO queue, ${q.quotaPerSecond} SendMessage/s in all`
        : q.mode === "standard"
          ? "standard queue, no throughput quota"
          : `queue mode unknown, taken as ${q.quotaPerSecond} SendMessage/s in all`;
  return `${takes}; the plan put at most ${q.peakPerSecond} within one second on one bucket: ${q.ok ? "within the quota" : `over it (about ${q.predictedThrottled} predicted throttled)`}`;
}

/** The consumer's side (as the summary's "Consumer" block has it): empty when the run knows nothing of it. */
export function consumerSection(report: BurstReport): string {
  const figures = report.consumer;
  if (!figures) return "";
  const prediction = figures.config?.prediction ?? null;
  const settings = figures.config ? describeSettings(figures.config.settings) : "";
  if (figures.environments === null && prediction === null && !settings) return "";
  const v = report.verification;
  const rows: string[] = [];
  if (prediction !== null) {
    const error = figures.predictionError;
    rows.push(
      `<tr><th>drain</th><td>${esc(fmtMs(figures.measuredDrainMs))}</td><td>predicted ${esc(fmtMs(prediction.drainMs))}${
        error === null ? "" : ` (${error >= 0 ? "+" : ""}${Math.round(error * 100)}%)`
      }: ${esc(describePrediction(prediction, report.config.count, report.config.groups))}; measured from the first send to the last answer or dead letter</td></tr>`,
    );
  }
  if (figures.environments !== null) {
    const details = [
      `${fmtCount(figures.environments)} environment${figures.environments === 1 ? "" : "s"}`,
      ...(figures.peakConcurrentInvocations !== null ? [`at most ${figures.peakConcurrentInvocations} at once`] : []),
      ...(figures.meanBatchSize !== null ? [`${figures.meanBatchSize} records each on average`] : []),
    ];
    rows.push(`<tr><th>batches</th><td>${figures.invocations === null ? "-" : fmtCount(figures.invocations)}</td><td>${esc(details.join(", "))}</td></tr>`);
  }
  rows.push(
    `<tr><th>retried</th><td>${fmtCount(v.retried)}</td><td>${
      (v.retriedDirected ?? 0) > 0 ? `${fmtCount(v.retriedDirected ?? 0)} directed to fail once, answered on the retry` : "answered on a later delivery"
    }</td></tr>`,
  );
  if (figures.movedToDlq !== null)
    rows.push(`<tr><th>moved to the DLQ</th><td>${fmtCount(figures.movedToDlq)}</td><td>the DLQ's depth, first to last poll</td></tr>`);
  const dead = [...(v.deadLettered ?? []), ...(v.dlqHidden ?? [])];
  if (dead.length > 0 || (report.config.consumer?.failAlways.length ?? 0) > 0)
    rows.push(
      `<tr><th>dead-lettered</th><td>${dead.length}</td><td>${esc(dead.slice(0, 50).join(", "))}${dead.length > 50 ? ` … and ${dead.length - 50} more` : ""}</td></tr>`,
    );
  return `<h2>Consumer</h2>
${settings ? `<p>${esc(settings)}</p>\n` : ""}<table>
${rows.join("\n")}
</table>
`;
}

export function renderHtmlReport(report: BurstReport): string {
  const c = report.config;
  const v = report.verification;
  const depth: Series[] = [
    { name: "visible (waiting)", color: "#d97706", points: report.queue.samples.map((s) => ({ x: s.at, y: s.visible })) },
    { name: "in flight (being processed)", color: "#2563eb", points: report.queue.samples.map((s) => ({ x: s.at, y: s.inFlight })) },
    { name: "client: sent − answered", color: "#6b7280", points: report.timeline.map((p) => ({ x: p.at, y: p.clientInFlight })) },
  ];
  const rates: Series[] = [
    { name: "sent / s", color: "#7c3aed", points: report.timeline.map((p) => ({ x: p.at, y: p.sendRate })) },
    { name: "answered / s", color: "#059669", points: report.timeline.map((p) => ({ x: p.at, y: p.receiveRate })) },
  ];
  const lat = report.latency;
  const latRow = (name: string, s: typeof lat.endToEnd) =>
    `<tr><th>${esc(name)}</th><td>${s.count}</td>${[s.min, s.p50, s.p90, s.p99, s.p999, s.max].map((x) => `<td>${fmtLatency(x)}</td>`).join("")}</tr>`;
  const check = (name: string, items: readonly string[]) =>
    `<tr class="${items.length === 0 ? "ok" : "bad"}"><th>${esc(name)}</th><td>${items.length}</td><td>${esc(items.slice(0, 50).join(", "))}${items.length > 50 ? ` … and ${items.length - 50} more` : ""}</td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wsq burst ${esc(report.startedAt)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:820px;color:#111;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse}th,td{padding:.2rem .6rem;text-align:right;border-bottom:1px solid #eee}th{text-align:left;font-weight:600}
tr.ok td:first-of-type{color:#059669}tr.bad td:first-of-type{color:#dc2626}
svg text{font-size:11px;fill:#444}.grid{stroke:#e5e7eb}.bar{fill:#2563eb}
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}.legend{font-size:12px;color:#444}
.outcome-ok{color:#059669}.outcome-bad{color:#dc2626}.none{color:#888}code{font-size:12px}
</style></head><body>
<h1>wsq burst: ${fmtCount(c.count)} messages over ${c.activeConnections} connection(s)</h1>
<p><code>${esc(c.url)}</code>${c.queueUrl ? `<br>queue <code>${esc(c.queueUrl)}</code>` : ""}<br>
${esc(report.startedAt)} · ${c.groups} group(s) · rate ${esc(rateLabel(c.rate))}${c.autoRate ? " (auto)" : ""} · ${esc(fmtBytes(c.size))} per message${
    c.quota ? `<br>${esc(quotaText(c.quota))}` : ""
  }</p>
<p class="${v.ok && report.outcome === "complete" ? "outcome-ok" : "outcome-bad"}"><strong>${esc(report.outcome)}</strong> in ${esc(fmtMs(report.durationMs))}:
${v.ok ? "every message answered exactly once, in the queue's order within its group, on its own connection" : "the checks below failed"}.</p>
<h2>Throughput</h2>
<table>
<tr><th>sent</th><td>${fmtCount(report.counts.sent)}</td><td>${esc(fmtRate(report.rates.sendPerSecond))}</td></tr>
<tr><th>answered</th><td>${fmtCount(report.counts.answered)}</td><td>processing ${esc(fmtRate(report.rates.processPerSecond))}, whole burst ${esc(fmtRate(report.rates.throughputPerSecond))}</td></tr>
<tr><th>peak queue depth</th><td>${fmtCount(report.queue.peakDepth)}</td><td>visible ${fmtCount(report.queue.peakVisible)}, in flight ${fmtCount(report.queue.peakInFlight)}</td></tr>
<tr><th>drain</th><td>${esc(fmtMs(report.queue.drainMs))}</td><td>last send to last result</td></tr>
</table>
${consumerSection(report)}${lineChart("Queue depth over time", depth, "seconds since sending started", "messages")}
${lineChart("Send and answer rates", rates, "seconds since sending started", "messages / s")}
<h2>Latency (ms)</h2>
<table><tr><th></th><th>n</th><th>min</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>
${latRow(c.rate.kind === "max" ? "end to end (from burst start)" : "end to end (from scheduled send)", lat.endToEnd)}
${latRow("client delay", lat.clientDelay)}${latRow("from write", lat.fromWrite)}${latRow("queue wait", lat.queueWait)}${latRow("outside queue", lat.outsideQueue)}
</table>
${histogramChart("End-to-end latency distribution", lat.histogram)}
<h2>Verification</h2>
<table>
${check("lost", v.lost)}${check("dead-lettered (in the DLQ)", v.lostInDlq)}${check("lost, on a connection that closed early", v.lostOnClosed)}${check(
    "throttled by the queue's FIFO quota (never queued)",
    v.throttled.queue,
  )}${check("throttled by API Gateway's stage (never queued)", v.throttled.stage)}${check("refused by API Gateway", v.refused)}${check(
    "duplicated",
    v.duplicated.map((d) => `${d.id} ×${d.count}`),
  )}${check(
    "out of order (SQS sequence numbers)",
    v.orderViolations.map((o) => `${o.id} (queued after ${o.afterId}, answered before it)`),
  )}${
    v.strictSendOrder
      ? check(
          "reached the queue out of send order (--strict-send-order)",
          v.sendOrderReorderings.map((o) => `${o.id} (seq ${o.seq} after ${o.afterSeq})`),
        )
      : `<tr><th>reached the queue out of send order (information: API Gateway promises no order before the queue)</th><td>${v.sendOrderReorderings.length}</td><td>${esc(
          v.sendOrderReorderings
            .slice(0, 50)
            .map((o) => `${o.id} (seq ${o.seq} after ${o.afterSeq})`)
            .join(", "),
        )}</td></tr>`
  }${check(
    "misrouted",
    v.misrouted.map((m) => `${m.id} (#${m.sentOn} → #${m.arrivedOn})`),
  )}${check(
    "connection id conflicts",
    v.connectionIdConflicts.map((x) => `#${x.connection}: ${x.connectionIds.join("/")}`),
  )}
</table>
<h2>Errors</h2>
<table>
<tr><th>connections that failed to open</th><td>${report.errors.connectFailures.length}</td></tr>
<tr><th>connections refused with 429</th><td>${report.errors.connectFailures.filter((f) => /HTTP 429/.test(f.message)).length}</td></tr>
<tr><th>error frames</th><td>${report.errors.errorFrames.length}</td></tr>
<tr><th>early closes</th><td>${report.errors.closes.length}</td></tr>
<tr><th>send errors</th><td>${report.errors.sendErrors}</td></tr>
<tr><th>queue poll errors</th><td>${report.errors.queuePollErrors.length}</td></tr>
<tr><th>dead-letter queue depth</th><td>${report.dlq?.depth ? fmtCount(report.dlq.depth.visible + report.dlq.depth.inFlight) : "-"}</td></tr>
</table>
<script type="application/json" id="wsq-burst-report">${JSON.stringify(report).replace(/</g, "\\u003c")}</script>
</body></html>
`;
}
