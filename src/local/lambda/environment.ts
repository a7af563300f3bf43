/**
 * One execution environment: a worker process that runs the runtime bootstrap, keeps the
 * handler's module state between invocations, and is replaced when it crashes, exits or times
 * out. The local cloud never shares a process with handler code, so nothing a handler does
 * can take it down.
 */
import { fork, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import type { LocalLogger } from "../context.js";
import type { InvokeOutcome, LogsApi } from "../contracts.js";
import type { FunctionSpec } from "./function-spec.js";
import type { FromWorker, LambdaErrorShape, ToWorker } from "./runtime/protocol.js";
import { MAX_SYNC_PAYLOAD_BYTES } from "./limits.js";
import { endLine, logStreamName, reportLine, startLine, timeoutLine } from "./log-format.js";

/** https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html: "The Init phase is limited to 10 seconds." */
export const INIT_TIMEOUT_MS = 10_000;

export interface EnvironmentDeps {
  logs: LogsApi;
  log: LocalLogger;
  region: string;
  endpointUrl: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  bootstrap: string;
  nodePath: string | undefined;
  dataDir: string;
  now(): number;
  /** Told of every worker's pid as it starts and exits (worker-registry.ts). */
  workers?: { add(pid: number | undefined): void; remove(pid: number | undefined): void };
}

interface Running {
  requestId: string;
  started: number;
  timer: NodeJS.Timeout;
  fatalError?: LambdaErrorShape;
  resolve(outcome: InvokeOutcome): void;
}

/** Environment variables of the sandbox, built from nothing so the host's AWS credentials never leak in. */
export function sandboxEnvironment(spec: FunctionSpec, deps: EnvironmentDeps, streamName: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "en_US.UTF-8",
    TZ: ":UTC",
    LAMBDA_TASK_ROOT: spec.codeDirectory,
    LAMBDA_RUNTIME_DIR: dirname(deps.bootstrap),
    _HANDLER: spec.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
    AWS_REGION: deps.region,
    AWS_DEFAULT_REGION: deps.region,
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: streamName,
    AWS_ACCESS_KEY_ID: deps.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: deps.credentials.secretAccessKey,
    // SDK v3 clients created in the handler reach the local cloud without code changes.
    AWS_ENDPOINT_URL: deps.endpointUrl,
    // Keep the SDK away from the user's ~/.aws profiles.
    AWS_CONFIG_FILE: join(deps.dataDir, "lambda", "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(deps.dataDir, "lambda", "no-aws-credentials"),
    ...(deps.nodePath !== undefined ? { NODE_PATH: deps.nodePath } : {}),
    // The SDK warns when it runs on an older Node than it will soon need. A function declaring a
    // newer runtime than the host's Node would not see that on Lambda: it is an artefact of running
    // it here, so it stays out of the function's log.
    ...(declaresNewerNode(spec.runtime) ? { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } : {}),
    ...spec.environment,
  };
}

function declaresNewerNode(runtime: string): boolean {
  const declared = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
  return Number.isInteger(declared) && declared > Number(process.versions.node.split(".")[0]);
}

export class ExecutionEnvironment {
  readonly streamName: string;
  readonly revisionId: string;
  lastUsed: number;
  private readonly child: ChildProcess;
  private readonly initialized: Promise<{ durationMs: number; error?: LambdaErrorShape } | undefined>;
  private initDurationMs: number | undefined;
  private initReported = false;
  private running: Running | undefined;
  private maxRssKb = 0;
  private dead = false;
  private condemned = false;
  private exitListeners: (() => void)[] = [];
  /** Receives every log line of the current invocation (Invoke with LogType Tail). */
  private tap: ((line: string) => void) | undefined;

  constructor(
    private readonly spec: FunctionSpec,
    private readonly deps: EnvironmentDeps,
  ) {
    this.revisionId = spec.revisionId;
    this.lastUsed = deps.now();
    this.streamName = logStreamName(deps.now());
    this.child = fork(deps.bootstrap, [], {
      cwd: spec.codeDirectory,
      env: sandboxEnvironment(spec, deps, this.streamName),
      execArgv: [`--max-old-space-size=${Math.max(64, Math.floor(spec.memoryMb * 0.9))}`],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    deps.workers?.add(this.child.pid);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => this.write(line));
    }
    let settleInit: (value: { durationMs: number; error?: LambdaErrorShape } | undefined) => void = () => undefined;
    this.initialized = new Promise((resolve) => (settleInit = resolve));
    this.child.on("message", (message: FromWorker) => {
      if (message.type === "init") {
        this.initDurationMs = message.durationMs;
        settleInit(message);
      } else this.onMessage(message);
    });
    this.child.on("error", (error) => deps.log.log("warn", "execution environment error", { function: spec.name, error: String(error) }));
    this.child.on("exit", (code, signal) => {
      this.dead = true;
      deps.workers?.remove(this.child.pid);
      settleInit(undefined);
      this.onExit(code, signal);
      for (const listener of this.exitListeners) listener();
    });
  }

  /**
   * Usable for another invocation. False from the moment the environment is condemned (killed,
   * or its runtime reported a fatal error), not only once the exit event arrives: on a loaded
   * machine that event can come after the pool has looked for a warm environment.
   */
  get alive(): boolean {
    return !this.dead && !this.condemned;
  }

  /** Resolves when INIT has ended (the handler loaded, failed to load, or the process exited first). */
  whenInitialized(): Promise<void> {
    return this.initialized.then(() => undefined);
  }

  onceExited(listener: () => void): void {
    if (this.dead) listener();
    else this.exitListeners.push(listener);
  }

  /** Runs one invocation; always resolves (failures are outcomes, as Lambda reports them). */
  async invoke(requestId: string, eventJson: string, onLog?: (line: string) => void): Promise<InvokeOutcome> {
    this.lastUsed = this.deps.now();
    this.tap = onLog;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const started = performance.now();
    this.write(startLine(requestId));
    const outcome = await new Promise<InvokeOutcome>((resolve) => {
      // INIT has its own budget on Lambda (10 s); the function's timeout counts from the invoke
      // phase, so a cold start does not eat into it.
      const running: Running = { requestId, started, timer: setTimeout(() => this.timeOut(), INIT_TIMEOUT_MS + timeoutMs), resolve };
      this.running = running;
      this.initialized.then(
        (init) => {
          if (this.running?.requestId !== requestId) return;
          if (init === undefined) return; // exited during INIT: onExit reports it
          clearTimeout(running.timer);
          running.timer = setTimeout(() => this.timeOut(), timeoutMs);
          running.started = performance.now();
          const message: ToWorker = {
            type: "invoke",
            requestId,
            event: eventJson,
            deadline: Date.now() + timeoutMs,
            context: {
              functionName: this.spec.name,
              functionVersion: "$LATEST",
              invokedFunctionArn: this.spec.arn,
              memoryLimitInMB: String(this.spec.memoryMb),
              logGroupName: this.spec.logGroup,
              logStreamName: this.streamName,
            },
          };
          this.child.send(message, (error) => {
            if (error) this.kill();
            if (error)
              this.finish({
                requestId,
                payload: undefined,
                functionError: "Unhandled",
                error: { errorType: "Runtime.ExitError", errorMessage: `RequestId: ${requestId} Error: Runtime exited without providing a reason` },
              });
          });
        },
        () => undefined,
      );
    });
    this.lastUsed = this.deps.now();
    this.tap = undefined;
    return outcome;
  }

  kill(): void {
    this.condemned = true;
    if (!this.dead) this.child.kill("SIGKILL");
  }

  private onMessage(message: FromWorker): void {
    if (message.type === "log") {
      this.write(message.line);
      return;
    }
    if (message.type === "init") return;
    // A fatal error ends the runtime even between invocations (a timer that throws late).
    if (message.type === "error" && message.fatal) this.condemned = true;
    this.maxRssKb = Math.max(this.maxRssKb, message.maxRssKb);
    const running = this.running;
    if (running === undefined || (message.requestId !== undefined && message.requestId !== running.requestId)) return;
    if (message.type === "result") {
      if (message.payload !== undefined && Buffer.byteLength(message.payload) > MAX_SYNC_PAYLOAD_BYTES) {
        // Lambda's answer to a response over the 6 MB synchronous limit.
        const error = {
          errorType: "Function.ResponseSizeTooLarge",
          errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_SYNC_PAYLOAD_BYTES} bytes).`,
        };
        this.finish({ requestId: running.requestId, payload: error, functionError: "Unhandled", error }, "error");
        return;
      }
      this.finish({ requestId: running.requestId, payload: message.payload === undefined ? undefined : (JSON.parse(message.payload) as unknown) });
    } else if (message.fatal) {
      // The runtime exits after a fatal error; the invocation ends with this error once it has.
      running.fatalError = message.error;
      setTimeout(() => this.kill(), 1000).unref();
    } else {
      this.finish({ requestId: running.requestId, payload: message.error, functionError: "Unhandled", error: message.error });
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const running = this.running;
    if (running === undefined) return;
    if (running.fatalError) {
      this.finish({ requestId: running.requestId, payload: running.fatalError, functionError: "Unhandled", error: running.fatalError }, "error");
      return;
    }
    const reason = signal !== null ? `signal: ${signal === "SIGKILL" ? "killed" : signal}` : code === 0 ? undefined : `exit status ${code}`;
    const errorMessage =
      reason === undefined
        ? `RequestId: ${running.requestId} Error: Runtime exited without providing a reason`
        : `RequestId: ${running.requestId} Error: Runtime exited with error: ${reason}`;
    this.write(`${errorMessage}\nRuntime.ExitError`);
    const error = { errorType: "Runtime.ExitError", errorMessage };
    this.finish({ requestId: running.requestId, payload: error, functionError: "Unhandled", error }, "error");
  }

  private timeOut(): void {
    const running = this.running;
    if (running === undefined) return;
    this.write(timeoutLine(this.deps.now(), running.requestId, this.spec.timeoutSeconds));
    const error = {
      errorType: "Sandbox.Timedout",
      errorMessage: `RequestId: ${running.requestId} Error: Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`,
    };
    this.kill();
    this.finish({ requestId: running.requestId, payload: error, functionError: "Unhandled", error }, "timeout");
  }

  private finish(outcome: InvokeOutcome, status?: "timeout" | "error"): void {
    const running = this.running;
    if (running === undefined || running.requestId !== outcome.requestId) return;
    this.running = undefined;
    clearTimeout(running.timer);
    const durationMs = performance.now() - running.started;
    this.write(endLine(running.requestId));
    this.write(
      reportLine(running.requestId, {
        durationMs: Math.max(0, durationMs),
        memorySizeMb: this.spec.memoryMb,
        maxMemoryUsedMb: Math.max(1, Math.round(this.maxRssKb / 1024)),
        ...(!this.initReported && this.initDurationMs !== undefined ? { initDurationMs: this.initDurationMs } : {}),
        ...(status ? { status } : {}),
      }),
    );
    this.initReported = true;
    running.resolve(outcome);
  }

  private write(message: string): void {
    this.tap?.(message);
    this.deps.logs.putLogEvents(this.spec.logGroup, this.streamName, [{ timestamp: this.deps.now(), message }]);
  }
}
