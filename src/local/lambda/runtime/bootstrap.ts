/**
 * The runtime inside one execution environment (a child process forked by the local cloud):
 * loads the handler once (INIT), then runs invocations one at a time as they arrive over IPC,
 * keeping module-scope state between them, as a warm Lambda sandbox does. Console output is
 * formatted the way the Node.js managed runtime writes it to CloudWatch Logs:
 * `ISO-TIMESTAMP\tREQUEST-ID\tLEVEL\tmessage`.
 *
 * Deliberately self-contained (node built-ins only): under the test runner it is bundled from
 * source on the fly, and in a build it runs as compiled.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import type { FromWorker, LambdaErrorShape, ToWorker } from "./protocol.js";

/** Lambda tries these extensions, in this order, for the module part of the handler setting. */
const MODULE_EXTENSIONS = [".js", ".mjs", ".cjs"];

type Handler = (event: unknown, context: unknown, callback?: (error?: unknown, result?: unknown) => void) => unknown;

let currentRequestId: string | undefined;

function send(message: FromWorker): void {
  if (process.connected) process.send?.(message);
}

/**
 * A fatal error ends the runtime, as on Lambda: the report goes out first, then the process
 * exits at once, so that timers the handler left behind cannot keep a broken sandbox running.
 */
function exitAfter(message: FromWorker, code: number): void {
  if (!process.connected || process.send === undefined) process.exit(code);
  process.send(message, () => process.exit(code));
}

function maxRssKb(): number {
  return process.resourceUsage().maxRSS;
}

function errorShape(error: unknown): LambdaErrorShape {
  if (error instanceof Error) {
    return { errorType: error.name || error.constructor?.name || "Error", errorMessage: error.message, trace: (error.stack ?? "").split("\n") };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function errorLogJson(shape: LambdaErrorShape): string {
  return JSON.stringify({ errorType: shape.errorType, errorMessage: shape.errorMessage, stack: shape.trace ?? [] });
}

function logLine(level: string, text: string): void {
  send({ type: "log", line: `${new Date().toISOString()}\t${currentRequestId ?? "undefined"}\t${level}\t${text}` });
}

function patchConsole(): void {
  const levels: [keyof Console, string][] = [
    ["log", "INFO"],
    ["info", "INFO"],
    ["warn", "WARN"],
    ["error", "ERROR"],
    ["debug", "DEBUG"],
  ];
  for (const [method, level] of levels) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => logLine(level, format(...args));
  }
  console.trace = (...args: unknown[]) => {
    const stack = (new Error().stack ?? "").split("\n").slice(2).join("\n");
    logLine("TRACE", `Trace: ${format(...args)}\n${stack}`);
  };
}

class InitError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

async function loadHandler(taskRoot: string, handlerSetting: string): Promise<Handler> {
  const slash = handlerSetting.lastIndexOf("/");
  const directory = slash === -1 ? "" : handlerSetting.slice(0, slash);
  const rest = slash === -1 ? handlerSetting : handlerSetting.slice(slash + 1);
  const dot = rest.indexOf(".");
  if (dot <= 0 || dot === rest.length - 1) throw new InitError("Runtime.MalformedHandlerName", "Bad handler");
  const moduleName = rest.slice(0, dot);
  const exportPath = rest.slice(dot + 1).split(".");
  const base = join(taskRoot, directory, moduleName);
  const file = MODULE_EXTENSIONS.map((ext) => base + ext).find((candidate) => existsSync(candidate));
  if (file === undefined) {
    throw new InitError("Runtime.ImportModuleError", `Error: Cannot find module '${moduleName}'\nRequire stack:\n- /var/runtime/index.mjs`);
  }
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (error) {
    const shape = errorShape(error);
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" || (error as { code?: string }).code === "MODULE_NOT_FOUND") {
      throw new InitError("Runtime.ImportModuleError", `${shape.errorType}: ${shape.errorMessage}`);
    }
    throw error;
  }
  let target: unknown = loaded;
  for (const [index, key] of exportPath.entries()) {
    let next = (target as Record<string, unknown> | undefined)?.[key];
    // A CommonJS module imported from ESM: its exports sit on `default`.
    if (next === undefined && index === 0) next = ((target as { default?: Record<string, unknown> }).default ?? {})[key];
    target = next;
  }
  if (target === undefined) throw new InitError("Runtime.HandlerNotFound", `${moduleName}.${exportPath.join(".")} is undefined or not exported`);
  if (typeof target !== "function") throw new InitError("Runtime.HandlerNotFound", `${moduleName}.${exportPath.join(".")} is not a function`);
  return target as Handler;
}

function runHandler(handler: Handler, event: unknown, context: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: unknown, result?: unknown) => {
      if (settled) return;
      settled = true;
      // A handler may throw or call back with anything (a string, a plain object): Lambda reports
      // whatever it was, so it is passed on as it is rather than wrapped in an Error.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    context.succeed = (result: unknown) => finish(undefined, result);
    context.fail = (error: unknown) => finish(error ?? new Error("handled"));
    context.done = (error: unknown, result: unknown) => finish(error, result);
    const callback = (error?: unknown, result?: unknown) => finish(error, result);
    let returned: unknown;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      finish(error);
      return;
    }
    if (returned !== null && typeof (returned as { then?: unknown })?.then === "function") {
      (returned as Promise<unknown>).then(
        (result) => finish(undefined, result),
        (error: unknown) => finish(error ?? new Error("undefined")),
      );
    } else if (handler.length < 3) {
      // A synchronous handler without a callback: Lambda answers null once the event loop is idle.
      finish(undefined, undefined);
    }
  });
}

async function main(): Promise<void> {
  const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const handlerSetting = process.env._HANDLER ?? "";
  patchConsole();
  // The local cloud went away (stopped, or killed with -9): a sandbox without its host has no
  // reason to live, whatever timers or sockets the handler left open.
  process.on("disconnect", () => process.exit(0));

  process.on("unhandledRejection", (reason) => {
    const inner = errorShape(reason);
    const error: LambdaErrorShape = {
      errorType: "Runtime.UnhandledPromiseRejection",
      errorMessage: reason instanceof Error ? `${inner.errorType}: ${inner.errorMessage}` : String(reason),
      trace: [
        `Runtime.UnhandledPromiseRejection: ${reason instanceof Error ? `${inner.errorType}: ${inner.errorMessage}` : String(reason)}`,
        ...(inner.trace ?? []).slice(1),
      ],
    };
    logLine("ERROR", `Unhandled Promise Rejection \t${errorLogJson(error)}`);
    exitAfter({ type: "error", requestId: currentRequestId, error, fatal: true, maxRssKb: maxRssKb() }, 128);
  });
  process.on("uncaughtException", (thrown) => {
    const error = errorShape(thrown);
    logLine("ERROR", `Uncaught Exception \t${errorLogJson(error)}`);
    exitAfter({ type: "error", requestId: currentRequestId, error, fatal: true, maxRssKb: maxRssKb() }, 129);
  });

  const started = performance.now();
  let handler: Handler | undefined;
  let initError: LambdaErrorShape | undefined;
  try {
    handler = await loadHandler(taskRoot, handlerSetting);
  } catch (error) {
    initError =
      error instanceof InitError ? { errorType: error.errorType, errorMessage: error.message, trace: (error.stack ?? "").split("\n") } : errorShape(error);
    logLine(
      "ERROR",
      `${initError.errorType === "Runtime.ImportModuleError" || initError.errorType.startsWith("Runtime.") ? "" : "Init Error "}${errorLogJson(initError)}`,
    );
  }
  send({ type: "init", durationMs: performance.now() - started, ...(initError ? { error: initError } : {}) });

  process.on("message", (message: ToWorker) => {
    if (message.type !== "invoke") return;
    void invoke(message);
  });

  async function invoke(message: ToWorker): Promise<void> {
    currentRequestId = message.requestId;
    if (handler === undefined) {
      // As on Lambda, a failed INIT fails the invocation and the sandbox is reset: the next
      // invocation starts a fresh environment that tries INIT again.
      exitAfter(
        {
          type: "error",
          requestId: message.requestId,
          error: initError ?? { errorType: "Runtime.Unknown", errorMessage: "The handler could not be loaded." },
          fatal: true,
          maxRssKb: maxRssKb(),
        },
        1,
      );
      return;
    }
    const context: Record<string, unknown> = {
      ...message.context,
      awsRequestId: message.requestId,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    };
    try {
      const event: unknown = JSON.parse(message.event);
      const result = await runHandler(handler, event, context);
      let payload: string | undefined;
      try {
        payload = result === undefined ? undefined : JSON.stringify(result);
      } catch (error) {
        throw Object.assign(new Error(`Unable to stringify response body: ${(error as Error).message}`), { name: "Runtime.MarshalError" });
      }
      send({ type: "result", requestId: message.requestId, payload, maxRssKb: maxRssKb() });
    } catch (thrown) {
      const error = errorShape(thrown);
      logLine("ERROR", `Invoke Error \t${errorLogJson(error)}`);
      send({ type: "error", requestId: message.requestId, error, fatal: false, maxRssKb: maxRssKb() });
    }
  }
}

// A loader that cannot even start reports through its exit code; the parent names it Runtime.ExitError.
main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
