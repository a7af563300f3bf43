/**
 * The Lambda service of the local cloud: functions and their code, execution environments
 * (function-pool.ts, environment.ts), and SQS event source mappings (event-source-mapping.ts).
 * Service logic only; rest-protocol.ts is the wire.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import type * as lambda from "@aws-sdk/client-lambda";
import type { LocalContext } from "../context.js";
import type { InvokeOutcome, LambdaApi, LogsApi, S3Api, SqsApi } from "../contracts.js";
import { AwsServiceError, isAwsServiceError } from "../aws-error.js";
import { LOCAL_CREDENTIALS } from "../../shared/target.js";
import { bootstrapPath, sdkNodePath } from "./bootstrap-path.js";
import { codeDirectory, describeCode, removeFunctionCode, unpackCode } from "./code.js";
import type { EnvironmentDeps } from "./environment.js";
import { lambdaErrors } from "./errors.js";
import { EventSourceMappings, type MappingFaults } from "./mappings.js";
import { WorkerRegistry } from "./worker-registry.js";
import { FunctionPool, StartGate } from "./function-pool.js";
import { HostCpu } from "./host-cpu.js";
import type { FunctionSpec } from "./function-spec.js";
import * as limits from "./limits.js";
import { logGroupName } from "./log-format.js";
import { LambdaStore, type FunctionRecord } from "./store.js";
import * as check from "./validation.js";

export interface LambdaDependencies {
  sqs: SqsApi;
  s3: S3Api;
  logs: LogsApi;
  /** Test hook (LocalCloudOptions.testFaults): counts down as faults are injected. */
  faults?: MappingFaults;
}

/** Lambda's LastModified: `2026-11-24T10:00:00.000+0000`. */
function lastModified(now: number): string {
  return new Date(now).toISOString().replace("Z", "+0000");
}

export class LambdaService implements LambdaApi {
  private readonly store: LambdaStore;
  private readonly pools = new Map<string, FunctionPool>();
  /** Environment starts in progress, bounded across every function (limits.ts). */
  private readonly starts = new StartGate(limits.LOCAL_MAX_CONCURRENT_STARTS);
  /** Whether the host has CPU to spare for another environment (function-pool.ts). */
  private readonly host = new HostCpu();
  private readonly mappings: EventSourceMappings;
  private readonly workers: WorkerRegistry;
  private readonly stopping = new Set<Promise<void>>();
  private readonly warned = new Set<string>();
  private readonly reaper: NodeJS.Timeout;
  /** Set by close(): nothing starts environments any more. */
  private closing = false;

  constructor(
    private readonly ctx: LocalContext,
    private readonly deps: LambdaDependencies,
  ) {
    this.store = new LambdaStore(ctx.db);
    this.workers = new WorkerRegistry(ctx.dataDir);
    this.workers.reapLeftovers(ctx.log);
    this.reaper = setInterval(() => {
      for (const pool of this.pools.values()) pool.reap(Date.now() - limits.IDLE_ENVIRONMENT_MS);
    }, limits.IDLE_SWEEP_MS);
    this.reaper.unref();
    this.mappings = new EventSourceMappings(
      ctx,
      this.store,
      { sqs: deps.sqs, ...(deps.faults ? { faults: deps.faults } : {}) },
      {
        functionArn: (name) => this.functionArn(name),
        nameOf: (nameOrArn) => this.nameOf(nameOrArn),
        requireFunction: (nameOrArn) => this.requireFunction(nameOrArn),
        invoke: (functionName, eventJson) => this.invokeJson(functionName, eventJson, false),
        functionConcurrency: (functionName) => {
          const record = this.store.getFunction(functionName);
          if (record === undefined) return undefined;
          return Math.min(record.reservedConcurrency ?? limits.LOCAL_MAX_ENVIRONMENTS_PER_FUNCTION, limits.LOCAL_MAX_ENVIRONMENTS_PER_FUNCTION);
        },
        track: (promise) => this.track(promise),
        prewarm: (functionName, concurrency) => this.prewarm(functionName, concurrency),
      },
    );
    this.mappings.resume();
  }

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.ctx.region}:${this.ctx.accountId}:function:${name}`;
  }

  // ---------------------------------------------------------------- functions
  async createFunction(input: lambda.CreateFunctionRequest): Promise<lambda.FunctionConfiguration> {
    const name = check.checkFunctionName(this.nameOf(input.FunctionName));
    if (input.PackageType === "Image") throw lambdaErrors.invalidParameter("Container image functions are not supported by the wsq local cloud.");
    const runtime = check.checkRuntime(input.Runtime);
    const handler = check.checkHandler(input.Handler);
    const role = check.checkRole(input.Role);
    const timeout = check.checkTimeout(input.Timeout);
    const memory = check.checkMemorySize(input.MemorySize);
    const architectures = check.checkArchitectures(input.Architectures);
    const variables = check.checkEnvironment(input.Environment);
    if (this.store.getFunction(name)) throw lambdaErrors.conflict(`Function already exist: ${name}`);
    const zip = await this.codeBytes(input.Code ?? {});
    const code = describeCode(zip);
    unpackCode(zip, this.ctx.dataDir, name, code.sha256);
    const now = this.ctx.clock.now();
    const configuration: lambda.FunctionConfiguration = {
      FunctionName: name,
      FunctionArn: this.functionArn(name),
      Runtime: runtime as lambda.Runtime,
      Role: role,
      Handler: handler,
      CodeSize: code.size,
      Description: input.Description ?? "",
      Timeout: timeout,
      MemorySize: memory,
      LastModified: lastModified(now),
      CodeSha256: code.sha256,
      Version: "$LATEST",
      ...(Object.keys(variables).length > 0 ? { Environment: { Variables: variables } } : {}),
      TracingConfig: { Mode: input.TracingConfig?.Mode ?? "PassThrough" },
      RevisionId: randomUUID(),
      ...(input.Layers && input.Layers.length > 0 ? { Layers: input.Layers.map((arn) => ({ Arn: arn, CodeSize: 0 })) } : {}),
      ...(input.DeadLetterConfig?.TargetArn ? { DeadLetterConfig: input.DeadLetterConfig } : {}),
      State: "Active",
      LastUpdateStatus: "Successful",
      PackageType: "Zip",
      Architectures: architectures as lambda.Architecture[],
      EphemeralStorage: { Size: input.EphemeralStorage?.Size ?? 512 },
      SnapStart: { ApplyOn: "None", OptimizationStatus: "Off" },
      // Text is the only format written; a custom LogGroup is honoured.
      LoggingConfig: { LogFormat: "Text", LogGroup: input.LoggingConfig?.LogGroup ?? logGroupName(name) },
    };
    this.ctx.db.transaction(() => {
      this.store.putFunction({ name, configuration, reservedConcurrency: undefined, tags: input.Tags ?? {} });
      this.store.putCode(name, code.sha256, zip);
    })();
    this.warnAboutRuntime(name, runtime);
    return configuration;
  }

  async updateFunctionCode(input: lambda.UpdateFunctionCodeRequest): Promise<lambda.FunctionConfiguration> {
    const record = this.requireFunction(input.FunctionName);
    if (input.RevisionId && input.RevisionId !== record.configuration.RevisionId) throw this.revisionMismatch();
    const architectures = input.Architectures ? check.checkArchitectures(input.Architectures) : record.configuration.Architectures;
    const zip = await this.codeBytes({ ZipFile: input.ZipFile, S3Bucket: input.S3Bucket, S3Key: input.S3Key });
    const code = describeCode(zip);
    if (input.DryRun) return { ...record.configuration, CodeSha256: code.sha256, CodeSize: code.size };
    unpackCode(zip, this.ctx.dataDir, record.name, code.sha256);
    const configuration: lambda.FunctionConfiguration = {
      ...record.configuration,
      CodeSha256: code.sha256,
      CodeSize: code.size,
      Architectures: architectures as lambda.Architecture[],
      LastModified: lastModified(this.ctx.clock.now()),
      RevisionId: randomUUID(),
    };
    this.ctx.db.transaction(() => {
      this.store.putFunction({ ...record, configuration });
      this.store.putCode(record.name, code.sha256, zip);
    })();
    this.refreshPool(record.name);
    return configuration;
  }

  async updateFunctionConfiguration(input: lambda.UpdateFunctionConfigurationRequest): Promise<lambda.FunctionConfiguration> {
    const record = this.requireFunction(input.FunctionName);
    if (input.RevisionId && input.RevisionId !== record.configuration.RevisionId) throw this.revisionMismatch();
    const previous = record.configuration;
    const runtime = input.Runtime !== undefined ? check.checkRuntime(input.Runtime) : previous.Runtime;
    const variables = input.Environment !== undefined ? check.checkEnvironment(input.Environment) : previous.Environment?.Variables;
    const configuration: lambda.FunctionConfiguration = {
      ...previous,
      Runtime: runtime as lambda.Runtime,
      Role: input.Role !== undefined ? check.checkRole(input.Role) : previous.Role,
      Handler: input.Handler !== undefined ? check.checkHandler(input.Handler) : previous.Handler,
      Description: input.Description ?? previous.Description,
      Timeout: input.Timeout !== undefined ? check.checkTimeout(input.Timeout) : previous.Timeout,
      MemorySize: input.MemorySize !== undefined ? check.checkMemorySize(input.MemorySize) : previous.MemorySize,
      ...(input.TracingConfig?.Mode ? { TracingConfig: { Mode: input.TracingConfig.Mode } } : {}),
      ...(input.EphemeralStorage?.Size ? { EphemeralStorage: { Size: input.EphemeralStorage.Size } } : {}),
      ...(input.Layers !== undefined ? { Layers: input.Layers.map((arn) => ({ Arn: arn, CodeSize: 0 })) } : {}),
      ...(input.LoggingConfig !== undefined
        ? { LoggingConfig: { LogFormat: "Text", LogGroup: input.LoggingConfig.LogGroup ?? logGroupName(record.name) } }
        : {}),
      LastModified: lastModified(this.ctx.clock.now()),
      RevisionId: randomUUID(),
    };
    if (variables !== undefined && Object.keys(variables).length > 0) configuration.Environment = { Variables: variables };
    else delete configuration.Environment;
    this.store.putFunction({ ...record, configuration });
    this.warnAboutRuntime(record.name, runtime ?? "");
    this.refreshPool(record.name);
    return configuration;
  }

  async getFunctionConfiguration(input: lambda.GetFunctionConfigurationRequest): Promise<lambda.FunctionConfiguration> {
    return this.requireFunction(input.FunctionName, input.Qualifier).configuration;
  }

  /** GetFunction: configuration, where the code can be downloaded, tags and reserved concurrency. */
  async getFunction(input: lambda.GetFunctionRequest): Promise<lambda.GetFunctionResponse> {
    const record = this.requireFunction(input.FunctionName, input.Qualifier);
    return {
      Configuration: record.configuration,
      Code: { RepositoryType: "S3", Location: `${this.ctx.baseUrl()}/2015-03-31/functions/${record.name}/code-package` },
      ...(Object.keys(record.tags).length > 0 ? { Tags: record.tags } : {}),
      ...(record.reservedConcurrency !== undefined ? { Concurrency: { ReservedConcurrentExecutions: record.reservedConcurrency } } : {}),
    };
  }

  codePackage(functionName: string): Buffer {
    const record = this.requireFunction(functionName);
    const code = this.store.getCode(record.name);
    if (!code) throw lambdaErrors.functionNotFound(this.functionArn(record.name));
    return code.zip;
  }

  async listFunctions(input: lambda.ListFunctionsRequest): Promise<lambda.ListFunctionsResponse> {
    const maxItems = input.MaxItems ?? 50;
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10_000) throw lambdaErrors.invalidParameter("MaxItems must be between 1 and 10000.");
    const all = this.store.listFunctions();
    const start = input.Marker ? Number(Buffer.from(input.Marker, "base64url").toString("utf8")) || 0 : 0;
    const page = all.slice(start, start + maxItems);
    return {
      Functions: page.map((record) => record.configuration),
      ...(start + maxItems < all.length ? { NextMarker: Buffer.from(String(start + maxItems)).toString("base64url") } : {}),
    };
  }

  async deleteFunction(input: lambda.DeleteFunctionRequest): Promise<void> {
    const record = this.requireFunction(input.FunctionName);
    this.store.deleteFunction(record.name);
    const pool = this.pools.get(record.name);
    this.pools.delete(record.name);
    if (pool) this.track(pool.close());
    removeFunctionCode(this.ctx.dataDir, record.name);
  }

  async putFunctionConcurrency(input: lambda.PutFunctionConcurrencyRequest): Promise<void> {
    const record = this.requireFunction(input.FunctionName);
    const value = input.ReservedConcurrentExecutions;
    if (value === undefined || !Number.isInteger(value) || value < 0 || value > 1000) {
      throw lambdaErrors.invalidParameter(
        `1 validation error detected: Value '${value}' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value between 0 and 1000`,
      );
    }
    this.store.putFunction({ ...record, reservedConcurrency: value });
    this.refreshPool(record.name);
    this.mappings.restartPollersOf(record.name);
  }

  async deleteFunctionConcurrency(input: lambda.DeleteFunctionConcurrencyRequest): Promise<void> {
    const record = this.requireFunction(input.FunctionName);
    this.store.putFunction({ ...record, reservedConcurrency: undefined });
    this.refreshPool(record.name);
    this.mappings.restartPollersOf(record.name);
  }

  /** Recorded and shape-checked; the local cloud does not evaluate resource policies (docs/lambda.md). */
  async addPermission(input: lambda.AddPermissionRequest): Promise<{ Statement: string }> {
    const record = this.requireFunction(input.FunctionName, input.Qualifier);
    if (!input.StatementId || !input.Action || !input.Principal) throw lambdaErrors.invalidParameter("StatementId, Action and Principal are required.");
    const statement = JSON.stringify({
      Sid: input.StatementId,
      Effect: "Allow",
      Principal: input.Principal.includes(".") ? { Service: input.Principal } : { AWS: input.Principal },
      Action: input.Action,
      Resource: this.functionArn(record.name),
      ...(input.SourceArn ? { Condition: { ArnLike: { "AWS:SourceArn": input.SourceArn } } } : {}),
    });
    if (!this.store.putPermission(record.name, input.StatementId, statement)) {
      throw lambdaErrors.conflict(
        `The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    return { Statement: statement };
  }

  async removePermission(input: lambda.RemovePermissionRequest): Promise<void> {
    const record = this.requireFunction(input.FunctionName, input.Qualifier);
    if (!this.store.deletePermission(record.name, input.StatementId ?? "")) throw lambdaErrors.resourceNotFound();
  }

  /** GetPolicy: the recorded statements as one resource policy document. */
  async getPolicy(input: lambda.GetPolicyRequest): Promise<lambda.GetPolicyResponse> {
    const record = this.requireFunction(input.FunctionName, input.Qualifier);
    const statements = this.store.permissions(record.name);
    if (statements.length === 0) throw new AwsServiceError("ResourceNotFoundException", "The resource you requested does not exist.", { status: 404 });
    const policy = { Version: "2012-10-17", Id: "default", Statement: statements.map((text) => JSON.parse(text) as unknown) };
    return { Policy: JSON.stringify(policy), RevisionId: record.configuration.RevisionId };
  }

  // ---------------------------------------------------------------- tags
  async listTags(arn: string): Promise<lambda.ListTagsResponse> {
    return { Tags: this.requireFunction(arn).tags };
  }

  async tagResource(arn: string, tags: Record<string, string>): Promise<void> {
    const record = this.requireFunction(arn);
    const merged = { ...record.tags, ...tags };
    if (Object.keys(merged).length > limits.MAX_TAGS) throw lambdaErrors.invalidParameter(`A function can have at most ${limits.MAX_TAGS} tags.`);
    this.store.putFunction({ ...record, tags: merged });
  }

  async untagResource(arn: string, keys: string[]): Promise<void> {
    const record = this.requireFunction(arn);
    const tags = { ...record.tags };
    for (const key of keys) delete tags[key];
    this.store.putFunction({ ...record, tags });
  }

  // ---------------------------------------------------------------- invoke
  async invoke(functionNameOrArn: string, payload: unknown): Promise<InvokeOutcome> {
    const eventJson = JSON.stringify(payload === undefined ? {} : payload);
    if (Buffer.byteLength(eventJson) > limits.MAX_SYNC_PAYLOAD_BYTES) {
      throw lambdaErrors.requestTooLarge(`Request must be smaller than ${limits.MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation`);
    }
    return this.invokeJson(functionNameOrArn, eventJson, true);
  }

  /** Invoke (RequestResponse) with the last 4 KB of the invocation's log, base64, when `tail` is set (LogType Tail). */
  async invokeWithLog(functionNameOrArn: string, eventJson: string, tail: boolean): Promise<{ outcome: InvokeOutcome; logTail?: string }> {
    if (!tail) return { outcome: await this.invokeJson(functionNameOrArn, eventJson, true) };
    const lines: string[] = [];
    const outcome = await this.invokeJson(functionNameOrArn, eventJson, true, (line) => lines.push(line));
    const text = Buffer.from(lines.map((line) => `${line}\n`).join(""));
    return { outcome, logTail: text.subarray(Math.max(0, text.length - limits.MAX_LOG_TAIL_BYTES)).toString("base64") };
  }

  /**
   * Invocation type Event: accepted at once, run in the background. Lambda's own retries of
   * failed asynchronous invocations (two, with back-off) are not emulated (docs/lambda.md).
   */
  invokeAsync(functionNameOrArn: string, eventJson: string): void {
    const run = this.invokeJson(functionNameOrArn, eventJson, false).then(
      (outcome) => {
        if (outcome.functionError) this.ctx.log.log("info", "asynchronous invocation failed", { function: functionNameOrArn, error: outcome.error?.errorType });
      },
      (error: unknown) => this.ctx.log.log("warn", "asynchronous invocation could not run", { function: functionNameOrArn, error: String(error) }),
    );
    this.track(run);
  }

  /** Invoke with the event already serialized. `throttle`: refuse (429) rather than wait when every allowed environment is busy. */
  async invokeJson(functionNameOrArn: string, eventJson: string, throttle: boolean, onLog?: (line: string) => void): Promise<InvokeOutcome> {
    const record = this.requireFunction(functionNameOrArn);
    await this.whenListening();
    return this.poolFor(record).invoke(eventJson, { throttle, ...(onLog ? { onLog } : {}) });
  }

  // ---------------------------------------------------------------- event source mappings (mappings.ts)
  createEventSourceMapping(input: lambda.CreateEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration> {
    return this.mappings.createEventSourceMapping(input);
  }

  updateEventSourceMapping(input: lambda.UpdateEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration> {
    return this.mappings.updateEventSourceMapping(input);
  }

  deleteEventSourceMapping(input: lambda.DeleteEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration> {
    return this.mappings.deleteEventSourceMapping(input);
  }

  getEventSourceMapping(input: lambda.GetEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration> {
    return this.mappings.getEventSourceMapping(input);
  }

  listEventSourceMappings(input: lambda.ListEventSourceMappingsRequest): Promise<lambda.ListEventSourceMappingsResponse> {
    return this.mappings.listEventSourceMappings(input);
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.reaper);
    this.mappings.close();
    // Killing the environments ends in-flight invocations (as failures: their batches are retried later).
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
    this.pools.clear();
    await Promise.all([...this.stopping]);
  }

  // ---------------------------------------------------------------- internals
  /** A bare name, a full ARN, or a partial ARN (`ACCOUNT:function:NAME`), optionally with `:$LATEST`. */
  nameOf(nameOrArn: string | undefined): string | undefined {
    if (nameOrArn === undefined) return undefined;
    const match = /^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9-_]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/.exec(nameOrArn);
    return match ? match[1] : nameOrArn;
  }

  requireFunction(nameOrArn: string | undefined, qualifier?: string): FunctionRecord {
    const name = this.nameOf(nameOrArn);
    if (!name)
      throw lambdaErrors.invalidParameter("1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null");
    const arnQualifier = /:function:[^:]+:([^:]+)$/.exec(nameOrArn ?? "")?.[1];
    const wanted = qualifier ?? arnQualifier;
    const record = this.store.getFunction(name);
    if (!record || (wanted !== undefined && wanted !== "$LATEST")) throw lambdaErrors.functionNotFound(this.functionArn(name) + (wanted ? `:${wanted}` : ""));
    return record;
  }

  private revisionMismatch() {
    return lambdaErrors.preconditionFailed(
      "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
    );
  }

  private async codeBytes(code: lambda.FunctionCode): Promise<Uint8Array> {
    if (code.ImageUri) throw lambdaErrors.invalidParameter("Container image functions are not supported by the wsq local cloud.");
    if (code.ZipFile && code.ZipFile.byteLength > 0) return code.ZipFile;
    if (code.S3Bucket && code.S3Key) {
      try {
        return (await this.deps.s3.getObject(code.S3Bucket, code.S3Key)).body;
      } catch (error) {
        if (isAwsServiceError(error)) {
          throw lambdaErrors.invalidParameter(`Error occurred while GetObject. S3 Error Code: ${error.code}. S3 Error Message: ${error.message}`);
        }
        throw error;
      }
    }
    throw lambdaErrors.invalidParameter("Please provide a source for function code.");
  }

  private track(promise: Promise<void>): void {
    const tracked = promise.catch((error: unknown) => this.ctx.log.log("warn", "lambda shutdown step failed", { error: String(error) }));
    this.stopping.add(tracked);
    void tracked.finally(() => this.stopping.delete(tracked));
  }

  private spec(record: FunctionRecord): FunctionSpec {
    const configuration = record.configuration;
    const sha = configuration.CodeSha256 ?? "";
    let directory = codeDirectory(this.ctx.dataDir, record.name, sha);
    if (!existsSync(directory)) {
      const code = this.store.getCode(record.name);
      if (code) directory = unpackCode(code.zip, this.ctx.dataDir, record.name, code.sha256);
    }
    return {
      name: record.name,
      arn: this.functionArn(record.name),
      runtime: configuration.Runtime ?? "nodejs22.x",
      handler: configuration.Handler ?? "index.handler",
      codeDirectory: directory,
      timeoutSeconds: configuration.Timeout ?? limits.DEFAULT_TIMEOUT_SECONDS,
      memoryMb: configuration.MemorySize ?? limits.DEFAULT_MEMORY_MB,
      environment: configuration.Environment?.Variables ?? {},
      logGroup: configuration.LoggingConfig?.LogGroup ?? logGroupName(record.name),
      reservedConcurrency: record.reservedConcurrency,
      revisionId: createHash("sha256").update(`${configuration.RevisionId}/${record.reservedConcurrency}`).digest("hex"),
    };
  }

  private poolFor(record: FunctionRecord): FunctionPool {
    let pool = this.pools.get(record.name);
    if (!pool) {
      pool = new FunctionPool(this.spec(record), this.environmentDeps(), this.starts, this.host);
      this.pools.set(record.name, pool);
      this.warnInFunctionLog(record);
    }
    return pool;
  }

  /**
   * A new code or configuration retires the warm environments; a function a mapping polls gets
   * new ones initialized at once, as when the mapping started.
   */
  private refreshPool(name: string): void {
    const pool = this.pools.get(name);
    const record = this.store.getFunction(name);
    if (pool && record) pool.update(this.spec(record));
    const loops = this.mappings.pollingConcurrency(name);
    if (loops > 0) this.prewarm(name, loops);
  }

  /**
   * Environments initialized before the first call needs them (function-pool.ts, prewarm), for
   * `concurrency` poll loops but at most one per core (the pool starts no more without a reason),
   * once the local cloud listens (a restart's mappings resume before it does).
   */
  private prewarm(name: string, concurrency: number): void {
    this.whenListening().then(
      () => {
        const record = this.store.getFunction(name);
        if (record !== undefined && !this.closing) this.poolFor(record).prewarm(Math.min(concurrency, limits.LOCAL_EAGER_ENVIRONMENTS));
      },
      (error: unknown) => this.ctx.log.log("debug", "environments not initialized ahead", { function: name, error: String(error) }),
    );
  }

  private cachedEnvironmentDeps: EnvironmentDeps | undefined;
  private environmentDeps(): EnvironmentDeps {
    if (!this.cachedEnvironmentDeps) throw new Error("environment dependencies are resolved in whenListening()");
    return this.cachedEnvironmentDeps;
  }

  /** Environments need the local cloud's URL, known only once it listens; mappings resumed at start-up wait for it here. */
  private async whenListening(): Promise<void> {
    if (this.cachedEnvironmentDeps) return;
    const endpointUrl = await this.ctx.listening;
    this.cachedEnvironmentDeps ??= {
      logs: this.deps.logs,
      log: this.ctx.log,
      region: this.ctx.region,
      endpointUrl,
      credentials: { ...LOCAL_CREDENTIALS },
      bootstrap: await bootstrapPath(),
      nodePath: sdkNodePath(),
      dataDir: this.ctx.dataDir,
      now: () => this.ctx.clock.now(),
      workers: this.workers,
    };
  }

  /** Functions declare a Node.js major; they run on the host's Node, and the log says so once. */
  private warnAboutRuntime(name: string, runtime: string): void {
    const declared = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
    const host = process.versions.node.split(".")[0];
    if (declared === undefined || declared === host || this.warned.has(`${name}/${runtime}`)) return;
    this.warned.add(`${name}/${runtime}`);
    const message = `Function ${name} declares ${runtime}; the local cloud runs it on the host's Node.js ${process.versions.node}.`;
    this.ctx.log.log("warn", message, { function: name });
  }

  /**
   * The same warning in the function's own log, where `wsq logs` shows it, written when the
   * function first runs: as on AWS, the log group appears with the first invocation.
   */
  private warnInFunctionLog(record: FunctionRecord): void {
    const runtime = record.configuration.Runtime ?? "";
    const declared = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
    if (declared === undefined || declared === process.versions.node.split(".")[0]) return;
    const message = `WARNING Function ${record.name} declares ${runtime}; the local cloud runs it on the host's Node.js ${process.versions.node}.`;
    this.deps.logs.putLogEvents(record.configuration.LoggingConfig?.LogGroup ?? logGroupName(record.name), "wsq-local-runtime", [
      { timestamp: this.ctx.clock.now(), message },
    ]);
  }
}
