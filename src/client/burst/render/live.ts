import type { ChalkInstance } from "chalk";
import { createLogUpdate } from "log-update";
import type { BurstEvent, LiveSnapshot } from "../run-burst.js";
import type { BurstConfig } from "../types.js";
import { fmtCount, sparkline } from "./format.js";
import { liveConsumerLine } from "./consumer.js";

/**
 * Renders the engine's events while a burst runs. On a TTY: a panel redrawn in place on stderr
 * (log-update), with a depth sparkline. Elsewhere: one plain line per second, nothing redrawn,
 * so CI logs stay readable. `--json` uses neither.
 */
export interface LiveView {
  onEvent(event: BurstEvent): void;
  /** Clear the panel (TTY) before the summary prints. */
  stop(): void;
}

export function createLiveView(stream: NodeJS.WritableStream & { columns?: number }, color: ChalkInstance, tty: boolean, config?: BurstConfig): LiveView {
  return tty ? ttyView(stream, color, config) : plainView(stream, config);
}

function line(s: LiveSnapshot, config?: BurstConfig): string {
  const q = s.queue;
  const queue = q ? `queue ${fmtCount(q.visible)} visible, ${fmtCount(q.inFlight)} in flight` : "queue -";
  const consumer = liveConsumerLine(s, config);
  return `sent ${fmtCount(s.sent)}/${fmtCount(s.planned)} (${fmtCount(s.sendRate)}/s)  answered ${fmtCount(s.answered)} (${fmtCount(s.receiveRate)}/s)  ${queue}${consumer ? `  ${consumer}` : ""}  errors ${s.errors}`;
}

function plainView(stream: NodeJS.WritableStream, config?: BurstConfig): LiveView {
  let lastPrinted = -Infinity;
  return {
    onEvent(event) {
      if (event.type === "connected") {
        stream.write(
          `connected ${event.connections} connection(s) in ${Math.round(event.connectMs)} ms${event.failed > 0 ? `, ${event.failed} failed` : ""}\n`,
        );
      } else if (event.type === "tick" && event.snapshot.at - lastPrinted >= 1000) {
        lastPrinted = event.snapshot.at;
        stream.write(`[${(event.snapshot.at / 1000).toFixed(1)}s] ${line(event.snapshot, config)}\n`);
      } else if (event.type === "sending-done") {
        stream.write(`[${(event.at / 1000).toFixed(1)}s] sending done: ${fmtCount(event.sent)} written\n`);
      } else if (event.type === "finished") {
        stream.write(`[${(event.snapshot.at / 1000).toFixed(1)}s] ${event.outcome}: ${line(event.snapshot, config)}\n`);
      } else if (event.type === "inspecting-dlq") {
        stream.write(`looking for ${event.lost} lost message(s) in the dead-letter queue\n`);
      } else if (event.type === "warning") {
        stream.write(`warning: ${event.message}\n`);
      }
    },
    stop() {},
  };
}

function ttyView(stream: NodeJS.WritableStream & { columns?: number }, color: ChalkInstance, config?: BurstConfig): LiveView {
  const update = createLogUpdate(stream, { showCursor: false });
  const depths: number[] = [];
  const answeredRates: number[] = [];
  let status = "opening connections…";
  let stopped = false;
  const draw = (s: LiveSnapshot | null) => {
    const width = Math.max(20, Math.min(80, (stream.columns ?? 80) - 24));
    const rows = [color.bold("wsq burst ") + color.dim(status)];
    if (s) {
      const bar = progressBar(s.sent, s.planned, 20);
      rows.push(`  sent      ${bar} ${fmtCount(s.sent)}/${fmtCount(s.planned)}  ${color.cyan(`${fmtCount(s.sendRate)}/s`)}`);
      rows.push(`  answered  ${progressBar(s.answered, s.planned, 20)} ${fmtCount(s.answered)}  ${color.cyan(`${fmtCount(s.receiveRate)}/s`)}`);
      rows.push(
        s.queue
          ? `  queue     ${fmtCount(s.queue.visible)} visible, ${fmtCount(s.queue.inFlight)} in flight` +
              (s.queue.delayed > 0 ? `, ${fmtCount(s.queue.delayed)} delayed` : "")
          : color.dim("  queue     not watched"),
      );
      const consumer = liveConsumerLine(s, config);
      if (consumer !== null) rows.push(`  consumer  ${consumer}`);
      if (depths.length > 0) rows.push(`  depth     ${color.yellow(sparkline(depths, width))}`);
      rows.push(`  out rate  ${color.green(sparkline(answeredRates, width))}`);
      if (s.errors > 0) rows.push(color.red(`  errors    ${s.errors}`));
    }
    update(rows.join("\n"));
  };
  return {
    onEvent(event) {
      if (event.type === "connecting") {
        status = `opening connections ${event.opened}/${event.total}${event.failed > 0 ? ` (${event.failed} failed)` : ""}`;
        draw(null);
      } else if (event.type === "connected") {
        status = "sending…";
      } else if (event.type === "sending-done") {
        status = "sending done; waiting for results… (Ctrl-C stops)";
      } else if (event.type === "inspecting-dlq") {
        status = `looking for ${event.lost} lost message(s) in the dead-letter queue…`;
      } else if (event.type === "tick" || event.type === "finished") {
        const q = event.snapshot.queue;
        if (q) depths.push(q.visible + q.inFlight);
        answeredRates.push(event.snapshot.receiveRate);
        if (!stopped) draw(event.snapshot);
      } else if (event.type === "warning") {
        update.persist(color.yellow(`warning: ${event.message}`));
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      update.clear();
      update.done();
    },
  };
}

function progressBar(value: number, total: number, width: number): string {
  const filled = total === 0 ? width : Math.min(width, Math.round((value / total) * width));
  return `[${"=".repeat(filled)}${" ".repeat(width - filled)}]`;
}
