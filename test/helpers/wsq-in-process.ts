import { Readable, Writable } from "node:stream";
import { createIo } from "../../src/cli/output/io.js";
import { runCli } from "../../src/cli/run.js";

/**
 * `wsq` run inside the test process: the same program, parser, actions and error reporting as the
 * binary (src/cli/run.ts, which bin/wsq.js runs too), with captured output, a private WSQ_HOME and
 * Ctrl-C as a promise the test resolves. No node start-up and no import of the CLI per command, so a
 * test can run dozens of commands in the time one spawned binary takes. What it cannot show is the
 * binary itself (what it loads, real signals, a terminal): a few tests per command family keep
 * spawning for that (test/cli/start.test.ts, the *-pty tests, one SIGINT test per follower).
 * Servers the commands start in the background (`wsq local start`) are still their own processes.
 */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  /** WSQ_HOME for the run: where the local cloud's data dir and saved stacks live. */
  home: string;
  /** Added to the environment the command sees (after WSQ_HOME, NO_COLOR=1 and CI=true). */
  env?: NodeJS.ProcessEnv;
  /** What the command reads on stdin (not a terminal); empty by default. */
  stdin?: string;
}

export interface RunningCli {
  /** Settles with the exit code and everything printed, once the command returns. */
  result: Promise<CliRun>;
  /** What the command has printed so far. */
  output(): { stdout: string; stderr: string };
  /** Ctrl-C, as the binary gets it on SIGINT. */
  interrupt(): void;
  /** Resolves with everything printed on the stream so far once `predicate` holds for it. */
  waitFor(stream: "stdout" | "stderr", predicate: (text: string) => boolean): Promise<string>;
}

/** Starts `wsq ARGS` in-process; the test awaits `result`, or interrupts it first. */
export function startWsqInProcess(args: string[], options: InProcessOptions): RunningCli {
  const printed = { stdout: "", stderr: "" };
  const waiters: { stream: "stdout" | "stderr"; predicate: (text: string) => boolean; resolve: (text: string) => void }[] = [];
  const capture = (stream: "stdout" | "stderr"): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        printed[stream] += chunk.toString();
        for (const waiter of waiters.filter((w) => w.stream === stream && w.predicate(printed[stream]))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(printed[stream]);
        }
        callback();
      },
    });
  let markInterrupted: () => void = () => {};
  const interrupted = new Promise<void>((resolve) => (markInterrupted = resolve));
  const io = createIo({
    stdout: capture("stdout"),
    stderr: capture("stderr"),
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    env: { ...process.env, WSQ_HOME: options.home, NO_COLOR: "1", CI: "true", ...options.env },
  });
  const result = runCli(["node", "wsq", ...args], io, interrupted).then((code) => ({ code, ...printed }));
  return {
    result,
    output: () => ({ ...printed }),
    interrupt: () => markInterrupted(),
    waitFor: (stream, predicate) => {
      if (predicate(printed[stream])) return Promise.resolve(printed[stream]);
      return new Promise((resolve, reject) => {
        waiters.push({ stream, predicate, resolve });
        // A command that returns without printing what was expected fails the wait, naming what it did print.
        void result.then(() => {
          if (waiters.some((w) => w.resolve === resolve))
            reject(new Error(`wsq ${args.join(" ")} ended before the expected ${stream}; got:\n${printed[stream]}`));
        });
      });
    },
  };
}

/** Runs `wsq ARGS` in-process to completion. */
export function wsqInProcess(args: string[], options: InProcessOptions): Promise<CliRun> {
  return startWsqInProcess(args, options).result;
}
