import { Chalk, type ChalkInstance } from "chalk";

/**
 * Where a command writes, decided once at the edge: data to stdout, progress and diagnostics to
 * stderr; colors only on a TTY and never with NO_COLOR (https://no-color.org) or --no-color.
 */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Colors for stderr output (progress, messages). */
  color: ChalkInstance;
  /** Colors for stdout output; none when stdout is not a TTY. */
  stdoutColor: ChalkInstance;
  /** Whether interactive decorations (spinners, live views, prompts) may be used. */
  interactive: boolean;
  out(text: string): void;
  err(text: string): void;
}

export function colorsWanted(env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }, argv: readonly string[] = process.argv): boolean {
  if (argv.includes("--no-color")) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

export function createIo(overrides: Partial<Pick<CliIo, "stdout" | "stderr" | "stdin" | "env">> = {}): CliIo {
  const stdout = overrides.stdout ?? process.stdout;
  const stderr = overrides.stderr ?? process.stderr;
  const stdin = overrides.stdin ?? process.stdin;
  const env = overrides.env ?? process.env;
  return {
    stdout,
    stderr,
    stdin,
    env,
    color: new Chalk({ level: colorsWanted(env, stderr) ? 1 : 0 }),
    stdoutColor: new Chalk({ level: colorsWanted(env, stdout) ? 1 : 0 }),
    interactive: stderr.isTTY === true && env.CI !== "true" && env.TERM !== "dumb",
    out: (text) => void stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => void stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  };
}
