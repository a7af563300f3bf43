/**
 * Errors a user can act on. The CLI's single top-level catch prints `message` and `hint`
 * without a stack trace and exits with `exitCode`; anything that is not a WsqError is a bug
 * and is printed with its stack and a bug-report hint.
 */
export const ExitCode = {
  ok: 0,
  /** The command could not do its job: bad input, unreachable endpoint, failed deploy. */
  failure: 1,
  /** Wrong flags or arguments (commander's own usage errors use this too). */
  usage: 2,
  /** The command ran, but what it checked did not hold: lost, duplicated or disordered results. */
  checkFailed: 3,
  /** An unexpected internal error: a bug in wsq. */
  internal: 70,
  /** Interrupted by the user (Ctrl-C), as shells report SIGINT. */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class WsqError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;

  constructor(code: string, message: string, options: { hint?: string; exitCode?: ExitCodeValue; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = `WsqError [${code}]`;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }
}

export function isWsqError(error: unknown): error is WsqError {
  return error instanceof WsqError;
}

/** Render any thrown value as text without assuming it is an Error. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
