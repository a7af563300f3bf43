import { ExitCode, describeError, isWsqError } from "../../shared/errors.js";
import { classifyLine } from "./input.js";
import { giveUpReason, noResult, recordForEvent, summaryRecord, type ConnectRecord } from "./ndjson-events.js";
import type { SentMessage } from "./correlation.js";
import type { ConnectSession, SessionEvent } from "./session.js";

export interface PipedOptions {
  /** Input lines: --execute values, or stdin read line by line. */
  lines: AsyncIterable<string> | Iterable<string>;
  /** After the input ends, how long to wait for the remaining results. */
  waitMs: number;
  /** One NDJSON record per call (stdout). */
  write(record: ConnectRecord): void;
  /** Diagnostics (stderr). */
  diagnose(text: string): void;
  /** Resolves on Ctrl-C. */
  interrupted: Promise<void>;
  reconnect: boolean;
  /** Messages that reach the queue out of send order fail the run (--strict-send-order). */
  strictSendOrder?: boolean;
}

/**
 * Non-interactive mode: each line is a message, each result, error frame and close is one NDJSON
 * record. Returns the exit code: 1 when the connection failed, 3 when a message got no result, an
 * error frame arrived or a line was not valid JSON, else 0. The session must already be open.
 */
export async function runPiped(session: ConnectSession, options: PipedOptions): Promise<number> {
  const lineOf = new Map<SentMessage, number>();
  let connectionLost = false;
  let checkFailed = false;
  let wake: () => void = () => {};
  const unsubscribe = session.subscribe((event: SessionEvent) => {
    for (const record of recordForEvent(event, (m) => lineOf.get(m) ?? m.index)) options.write(record);
    if (
      event.type === "api-error" ||
      (event.type === "close" && event.orphaned.length > 0) ||
      (event.type === "result" && (event.outOfOrder || event.duplicate || (options.strictSendOrder === true && event.reorderedBeforeQueue)))
    ) {
      checkFailed = true;
    }
    if (event.type === "close" && !event.byClient) {
      options.diagnose(`connection closed: ${event.code} ${event.meaning}${event.reason ? ` (${event.reason})` : ""}`);
      if (!options.reconnect) connectionLost = true;
    }
    if (event.type === "reconnect-scheduled") options.diagnose(`reconnecting in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt})`);
    if (event.type === "open" && event.connection > 1) options.diagnose("reconnected: a new connection id, so results of messages sent before cannot arrive");
    if (event.type === "reconnect-failed") {
      options.diagnose(`reconnect failed: ${event.error.message}`);
      if (event.givingUp) connectionLost = true;
    }
    wake();
  });
  let interrupted = false;
  void options.interrupted.then(() => {
    interrupted = true;
    wake();
  });

  try {
    let lineNumber = 0;
    const iterator = toAsyncIterator(options.lines);
    const stop = options.interrupted.then(() => ({ done: true as const, value: undefined }));
    while (true) {
      // Race each read against Ctrl-C: a terminal or a slow pipe may never send another line.
      const next = await Promise.race([iterator.next(), stop]);
      if (next.done) break;
      const line = next.value;
      lineNumber += 1;
      if (interrupted || connectionLost) break;
      const input = classifyLine(line, { commands: false });
      if (input.kind === "empty" || input.kind === "command") continue;
      if (input.kind === "bad-json") {
        options.write({ type: "invalid-input", line: lineNumber, error: `not sent: the line starts like JSON but does not parse (${input.error})` });
        checkFailed = true;
        continue;
      }
      try {
        const message = input.kind === "json" ? session.sendJson(input.frame, input.value) : session.sendText(input.text);
        lineOf.set(message, lineNumber);
      } catch (error) {
        if (!isWsqError(error)) throw error;
        if (error.code === "NOT_CONNECTED" && session.state === "reconnecting") {
          // The line cannot go out now; report it rather than hold input while a reconnect runs.
          options.write({ type: "invalid-input", line: lineNumber, error: "not sent: the connection was being re-established" });
        } else {
          options.write({ type: "invalid-input", line: lineNumber, error: `not sent: ${describeError(error)}` });
        }
        checkFailed = true;
      }
    }

    // Input is over: wait for the remaining results, bounded by --wait.
    let deadlinePassed = false;
    const deadline = setTimeout(() => {
      deadlinePassed = true;
      wake();
    }, options.waitMs);
    while (!deadlinePassed && !interrupted && !connectionLost && !session.settled()) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    clearTimeout(deadline);
    await iterator.return?.();
    for (const message of session.giveUp()) {
      options.write(noResult(message, lineOf.get(message) ?? message.index, giveUpReason(message)));
      checkFailed = true;
    }
    options.write(summaryRecord(session.stats()));
  } finally {
    unsubscribe();
    await session.close();
  }
  if (interrupted) return ExitCode.interrupted;
  if (connectionLost) return ExitCode.failure;
  return checkFailed ? ExitCode.checkFailed : ExitCode.ok;
}

function toAsyncIterator(lines: AsyncIterable<string> | Iterable<string>): AsyncIterator<string> {
  if (Symbol.asyncIterator in lines) return lines[Symbol.asyncIterator]();
  const sync = lines[Symbol.iterator]();
  return { next: async () => sync.next() };
}
