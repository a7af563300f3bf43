import * as readline from "node:readline";
import type { ChalkInstance } from "chalk";
import { ExitCode, describeError, isWsqError } from "../../shared/errors.js";
import { apiErrorKind, MAX_WORK_MS } from "../../shared/pattern-messages.js";
import { classifyLine, isUnterminatedJson } from "./input.js";
import { loadHistory, saveHistory, HISTORY_LIMIT } from "./history.js";
import { HELP_TEXT, formatApiError, formatClock, formatClose, formatMs, formatResult, formatSent, formatStats } from "./format.js";
import type { SentMessage } from "./correlation.js";
import type { ConnectSession, SessionEvent } from "./session.js";

export interface InteractiveOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { columns?: number };
  color: ChalkInstance;
  historyFile: string | undefined;
  /** Show raw frames from the start (--json in a terminal turns this on). */
  rawFrames: boolean;
}

/** Bursts bigger than this show a live counter in the prompt instead of one line per result. */
const BURST_QUIET_ABOVE = 20;
/** At most this often the prompt's burst counter is redrawn, so 10,000 results are not 10,000 redraws. */
const BURST_REDRAW_MS = 100;

interface BurstWatch {
  ids: Set<SentMessage>;
  total: number;
  answered: number;
  outOfOrder: number;
  reordered: number;
  failed: number;
  throttled: number;
  startedMs: number;
  roundTrips: number[];
}

/**
 * The terminal renderer: a readline prompt whose input is never garbled by incoming lines (each
 * is printed above the prompt, which is then redrawn with what the user had typed). Returns the
 * exit code when the user leaves.
 */
export async function runInteractive(session: ConnectSession, options: InteractiveOptions): Promise<number> {
  const c = options.color;
  const out = options.output;
  let rawFrames = options.rawFrames;
  let pretty = false;
  let timestamps = false;
  let jsonBuffer: string[] = [];
  let burst: BurstWatch | undefined;
  let burstRedraw: NodeJS.Timeout | undefined;

  const rl = readline.createInterface({
    input: options.input,
    output: out,
    terminal: true,
    history: options.historyFile ? loadHistory(options.historyFile) : [],
    historySize: HISTORY_LIMIT,
    removeHistoryDuplicates: true,
    prompt: "",
  });
  if (options.historyFile) {
    const file = options.historyFile;
    rl.on("history", (history: string[]) => saveHistory(file, history));
  }

  const promptText = (): string => {
    if (jsonBuffer.length > 0) return "... ";
    const state = session.state === "open" ? "" : session.state === "reconnecting" ? " reconnecting" : " disconnected";
    const progress = burst ? ` burst ${burst.answered + burst.failed + burst.throttled}/${burst.total}` : "";
    return `${session.group}${state}${progress}> `;
  };
  const refreshPrompt = () => {
    rl.setPrompt(c.bold(promptText()));
    rl.prompt(true);
  };

  /** Print above the prompt: clear the input rows, print, redraw prompt + the user's unfinished line. */
  const print = (text: string) => {
    const rows = rl.getCursorPos().rows;
    if (rows > 0) readline.moveCursor(out, 0, -rows);
    readline.cursorTo(out, 0);
    readline.clearScreenDown(out);
    const stamped = timestamps
      ? text
          .split("\n")
          .map((line) => `${c.dim(formatClock(new Date()))} ${line}`)
          .join("\n")
      : text;
    // readline's redraw moves up by the rows the cursor was on; the blank lines give it room.
    out.write(`${stamped}\n${"\n".repeat(rows)}`);
    rl.setPrompt(c.bold(promptText()));
    rl.prompt(true);
  };

  const finishBurst = () => {
    if (!burst) return;
    const b = burst;
    burst = undefined;
    if (burstRedraw) clearTimeout(burstRedraw);
    burstRedraw = undefined;
    const sorted = [...b.roundTrips].sort((x, y) => x - y);
    const pick = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
    const elapsed = performance.now() - b.startedMs;
    print(
      c.green(`burst of ${b.total}: ${b.answered} answered in ${formatMs(elapsed)}`) +
        c.dim(` · round trip p50 ${formatMs(pick(50))} · p99 ${formatMs(pick(99))}`) +
        (b.outOfOrder ? c.yellow(` · ${b.outOfOrder} out of order`) : c.dim(" · all in order")) +
        (b.reordered ? c.dim(` · ${b.reordered} reached the queue out of send order`) : "") +
        (b.throttled ? c.yellow(` · ${b.throttled} throttled`) : "") +
        (b.failed ? c.red(` · ${b.failed} without result`) : ""),
    );
  };

  const scheduleBurstRedraw = () => {
    if (burstRedraw) return;
    burstRedraw = setTimeout(() => {
      burstRedraw = undefined;
      refreshPrompt();
    }, BURST_REDRAW_MS);
  };

  const onEvent = (event: SessionEvent) => {
    switch (event.type) {
      case "sent":
        if (rawFrames && !(burst && burst.total > BURST_QUIET_ABOVE)) print(c.dim(`→ ${event.message.frame}`));
        return;
      case "result": {
        const inBurst = burst && event.message && burst.ids.has(event.message);
        if (inBurst && burst) {
          if (!event.duplicate) burst.answered += 1;
          if (event.outOfOrder) burst.outOfOrder += 1;
          if (event.reorderedBeforeQueue) burst.reordered += 1;
          if (event.rttMs !== null) burst.roundTrips.push(event.rttMs);
        }
        const quiet = inBurst && burst && burst.total > BURST_QUIET_ABOVE;
        if (!quiet) print(rawFrames ? `${c.cyan("←")} ${JSON.stringify(event.result)}` : formatResult(event, c, { pretty }));
        else if (event.outOfOrder || event.duplicate) print(formatResult(event, c, { pretty }));
        if (burst && burst.answered + burst.failed + burst.throttled >= burst.total) finishBurst();
        else if (quiet) scheduleBurstRedraw();
        return;
      }
      case "api-error":
        // An untied error frame during a burst answers one of its pending messages.
        if (burst && (event.message === undefined || burst.ids.has(event.message))) {
          const kind = apiErrorKind(event.error.message);
          const refused = event.message ? event.message.refusal === "refused" : kind === "forbidden" || kind === "other";
          if (refused) burst.failed += 1;
          else burst.throttled += 1;
        }
        print(rawFrames ? `${c.red("←")} ${event.raw}` : formatApiError(event, c));
        if (burst && burst.answered + burst.failed + burst.throttled >= burst.total) finishBurst();
        return;
      case "frame":
        print(`${c.cyan("←")} ${event.binary ? c.dim("(binary, base64) ") : ""}${event.raw}`);
        return;
      case "connection-id":
        print(c.dim(`connection id ${event.connectionId}`));
        return;
      case "open":
        print(
          c.green(
            event.connection === 1
              ? `connected to ${event.url}`
              : `reconnected (connection ${event.connection}): a new connection id; results of messages sent on the old connection cannot arrive`,
          ),
        );
        return;
      case "close":
        if (burst) {
          burst.failed += event.orphaned.filter((m) => burst?.ids.has(m)).length;
          finishBurst();
        }
        print(
          formatClose(event, c) + (event.byClient || session.state === "reconnecting" ? "" : c.dim("\n  /reconnect to open a new connection, /quit to leave")),
        );
        return;
      case "reconnect-scheduled":
        print(c.yellow(`reconnecting in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt})`));
        return;
      case "reconnect-failed":
        print(
          c.red(`reconnect attempt ${event.attempt} failed: ${event.error.message}`) + (event.givingUp ? c.dim("\n  giving up; /reconnect to try again") : ""),
        );
        return;
      case "keepalive-timeout":
        print(c.yellow(`no pong within ${event.timeoutMs / 1000} s: the connection is dead, dropping it`));
        return;
      case "connecting":
        if (event.attempt > 1 || session.connection > 0) print(c.dim(`connecting to ${event.url} …`));
        return;
    }
  };
  const unsubscribe = session.subscribe(onEvent);

  const send = (action: () => SentMessage | SentMessage[]) => {
    try {
      const sent = action();
      if (!Array.isArray(sent) && !rawFrames) print(formatSent(sent, c));
    } catch (error) {
      if (!isWsqError(error)) throw error;
      print(`${c.red("✖")} ${error.message}${error.hint ? c.dim(` ${error.hint}`) : ""}`);
    }
  };

  const runCommand = async (name: string, args: string): Promise<"quit" | void> => {
    switch (name) {
      case "help":
      case "h":
      case "?":
        print(HELP_TEXT);
        return;
      case "quit":
      case "exit":
      case "q":
        return "quit";
      case "json": {
        const want = args.trim().toLowerCase();
        rawFrames = want === "on" ? true : want === "off" ? false : !rawFrames;
        print(c.dim(`raw frames ${rawFrames ? "on" : "off"}`));
        return;
      }
      case "pretty":
      case "time": {
        const want = args.trim().toLowerCase();
        const current = name === "pretty" ? pretty : timestamps;
        const next = want === "on" ? true : want === "off" ? false : !current;
        if (name === "pretty") pretty = next;
        else timestamps = next;
        print(c.dim(`${name === "pretty" ? "pretty data" : "timestamps"} ${next ? "on" : "off"}`));
        return;
      }
      case "group": {
        const name = args.trim();
        if (name === "") {
          print(`group ${session.group}`);
          return;
        }
        // SQS: MessageGroupId is 1-128 characters of a-z A-Z 0-9 and punctuation (SendMessage API reference).
        if (!/^[!-~]{1,128}$/.test(name)) {
          print(c.red("✖ a group is 1 to 128 printable ASCII characters without spaces (the SQS MessageGroupId rule)"));
          return;
        }
        session.group = name;
        print(c.dim(`group is now ${name}`));
        return;
      }
      case "work": {
        const text = args.trim();
        const ms = Number(text);
        if (text === "") {
          print(session.nextDirectives.work === undefined ? "the next message asks for no work" : `the next message takes ${session.nextDirectives.work} ms`);
          return;
        }
        if (!Number.isInteger(ms) || ms < 0 || ms > MAX_WORK_MS) {
          print(c.red(`✖ /work takes a whole number of milliseconds from 0 to ${MAX_WORK_MS} (the function's timeout caps it)`));
          return;
        }
        session.setNextDirective("work", ms === 0 ? undefined : ms);
        print(c.dim(ms === 0 ? "no work for the next message" : `the next message takes ${ms} ms in the handler`));
        return;
      }
      case "fail": {
        const mode = args.trim().toLowerCase() || "once";
        if (mode === "off" || mode === "none") {
          session.setNextDirective("fail", undefined);
          print(c.dim("the next message does not fail"));
          return;
        }
        if (mode !== "once" && mode !== "always") {
          print(c.red("✖ /fail takes once (the first delivery fails, the retry succeeds), always (every delivery: it ends in the DLQ) or off"));
          return;
        }
        session.setNextDirective("fail", mode);
        print(
          c.dim(
            mode === "once"
              ? "the next message fails its first delivery; SQS hands it out again after the queue's visibility timeout, and its group waits"
              : "the next message fails every delivery; after maxReceiveCount deliveries SQS moves it to the DLQ (wsq dlq list), and its group waits until then",
          ),
        );
        return;
      }
      case "burst": {
        const count = Number(args.trim());
        if (burst) {
          print(c.red("✖ a burst is still running; wait for it or check /stats"));
          return;
        }
        try {
          const startedMs = performance.now();
          const watch: BurstWatch = {
            ids: new Set(),
            total: count,
            answered: 0,
            outOfOrder: 0,
            reordered: 0,
            failed: 0,
            throttled: 0,
            startedMs,
            roundTrips: [],
          };
          burst = watch;
          for (const message of session.sendBurst(count)) watch.ids.add(message);
          print(c.dim(`sent ${count} messages to group ${session.group}; waiting for results`));
        } catch (error) {
          burst = undefined;
          if (!isWsqError(error)) throw error;
          print(`${c.red("✖")} ${error.message}${error.hint ? c.dim(` ${error.hint}`) : ""}`);
        }
        return;
      }
      case "stats":
        print(formatStats(session.stats(), c));
        return;
      case "ping":
        try {
          print(`pong in ${formatMs(await session.ping())}`);
        } catch (error) {
          print(c.red(`✖ ${describeError(error)}`));
        }
        return;
      case "text":
        if (args.trim() === "") print(c.red("✖ /text needs the text to send"));
        else send(() => session.sendText(args));
        return;
      case "reconnect":
        try {
          await session.reconnect();
        } catch (error) {
          print(c.red(`✖ ${describeError(error)}`) + (isWsqError(error) && error.hint ? c.dim(` ${error.hint}`) : ""));
          refreshPrompt();
        }
        return;
      default:
        print(c.red(`✖ unknown command /${name}; /help lists them`));
    }
  };

  const handleLine = async (line: string): Promise<"quit" | void> => {
    // A pasted multi-line JSON value is collected until its brackets close; an empty line ends it early.
    if (jsonBuffer.length > 0 || isUnterminatedJson(line)) {
      jsonBuffer.push(line);
      const text = jsonBuffer.join("\n");
      if (line.trim() !== "" && isUnterminatedJson(text)) {
        refreshPrompt();
        return;
      }
      jsonBuffer = [];
      line = text;
    }
    const input = classifyLine(line, { commands: true });
    switch (input.kind) {
      case "empty":
        refreshPrompt();
        return;
      case "command":
        return runCommand(input.name, input.args);
      case "bad-json":
        print(
          `${c.red("✖ not sent: this looks like JSON but does not parse:")} ${input.error}\n${c.dim("  fix it, or send the line as plain text with /text …")}`,
        );
        return;
      case "json":
        send(() => session.sendJson(input.frame, input.value));
        return;
      case "text":
        send(() => session.sendText(input.text));
        return;
    }
  };

  print(c.dim(`Connected to ${session.url} · group ${session.group} · /help for commands · Ctrl-D to leave`));

  const exitCode = await new Promise<number>((resolve) => {
    let queue = Promise.resolve();
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      resolve(code);
    };
    rl.on("line", (line) => {
      // Lines are handled one after another, so /reconnect or /ping finish before the next line.
      queue = queue
        .then(async () => {
          if (done) return;
          if ((await handleLine(line)) === "quit") finish(ExitCode.ok);
        })
        .catch((error: unknown) => {
          print(c.red(`✖ ${describeError(error)}`));
        });
    });
    rl.on("SIGINT", () => {
      // Ctrl-C clears a half-typed line, as shells do; on an empty line it leaves.
      if (rl.line.length > 0 || jsonBuffer.length > 0) {
        jsonBuffer = [];
        rl.write(null, { ctrl: true, name: "e" });
        rl.write(null, { ctrl: true, name: "u" });
        refreshPrompt();
        return;
      }
      finish(ExitCode.ok);
    });
    rl.on("close", () => finish(ExitCode.ok));
  });

  unsubscribe();
  if (burstRedraw) clearTimeout(burstRedraw);
  const stats = session.stats();
  rl.close();
  out.write(
    `\n${c.dim(`sent ${stats.sent} · answered ${stats.answered} · pending ${stats.pending}${stats.throttled ? ` · throttled ${stats.throttled}` : ""}${stats.failed ? ` · failed ${stats.failed}` : ""}`)}\n`,
  );
  await session.close();
  return exitCode;
}
