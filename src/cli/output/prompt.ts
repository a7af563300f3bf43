import * as readline from "node:readline";
import type { CliIo } from "./io.js";

/** Whether a question can be asked: a person at a terminal on both ends. */
export function canPrompt(io: CliIo): boolean {
  return io.interactive && io.stdin.isTTY === true;
}

export function ask(io: CliIo, question: string, interrupted: Promise<void>): Promise<string> {
  const rl = readline.createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  return new Promise<string>((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer.trim());
    });
    void interrupted.then(() => {
      rl.close();
      resolve("");
    });
  });
}
