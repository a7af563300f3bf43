import ora, { type Ora } from "ora";
import type { CliIo } from "./io.js";

/** Progress for long work: an ora spinner on a TTY, plain lines otherwise, nothing with --json. */
export interface Progress {
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  info(text: string): void;
  stop(): void;
}

export function createProgress(io: CliIo, options: { json?: boolean; initial?: string } = {}): Progress {
  if (options.json) {
    return { update() {}, succeed() {}, fail() {}, info() {}, stop() {} };
  }
  if (!io.interactive) {
    let last = "";
    const line = (text: string) => {
      if (text !== last) io.err(text);
      last = text;
    };
    if (options.initial) line(options.initial);
    return { update: line, succeed: line, fail: line, info: (t) => io.err(t), stop() {} };
  }
  const spinner: Ora = ora({ text: options.initial ?? "", stream: io.stderr, color: "cyan" }).start();
  return {
    update: (text) => {
      spinner.text = text;
    },
    succeed: (text) => void spinner.succeed(text),
    fail: (text) => void spinner.fail(text),
    info: (text) => {
      spinner.clear();
      io.err(text);
      spinner.render();
    },
    stop: () => void spinner.stop(),
  };
}
