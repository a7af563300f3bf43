/**
 * Event source mappings: their API (validation, storage, the configuration Lambda reports) and
 * one SqsPoller per enabled mapping. Functions and invocations stay in service.ts; a mapping
 * reaches them through MappingHost.
 */
import { randomUUID } from "node:crypto";
import type * as lambda from "@aws-sdk/client-lambda";
import type { LocalContext } from "../context.js";
import type { InvokeOutcome, SqsApi } from "../contracts.js";
import { lambdaErrors } from "./errors.js";
import { isFifoArn, SqsPoller } from "./event-source-mapping.js";
import * as limits from "./limits.js";
import type { FunctionRecord, LambdaStore, MappingRecord } from "./store.js";
import * as check from "./validation.js";

/** What mappings need of the function side of the service. */
export interface MappingHost {
  functionArn(name: string): string;
  nameOf(nameOrArn: string | undefined): string | undefined;
  requireFunction(nameOrArn: string | undefined): FunctionRecord;
  /** Waits for a free execution environment (a mapping is never throttled by the local cap). */
  invoke(functionName: string, eventJson: string): Promise<InvokeOutcome>;
  /** Environments the function may use; undefined when it does not exist. */
  functionConcurrency(functionName: string): number | undefined;
  /** Keeps a shutdown step alive until close() has awaited it. */
  track(promise: Promise<void>): void;
  /** Initializes environments of the function ahead of its first invocation, for `concurrency` poll loops (at most one per core: function-pool.ts). */
  prewarm(functionName: string, concurrency: number): void;
}

/**
 * Faults a test asks for (LocalCloudOptions.testFaults, the very object: a test may raise a count
 * while the local cloud runs); the counts go down as faults are injected.
 */
export interface MappingFaults {
  failCreateEventSourceMapping?: number;
}

/**
 * What Lambda answers (InvalidParameterValueException, 400) when it cannot receive from the queue
 * with the function's role, typically right after the role's policy was attached (IAM is
 * eventually consistent); Lambda checks this when the mapping is created.
 */
export const ROLE_CANNOT_RECEIVE = "The provided execution role does not have permissions to call ReceiveMessage on SQS";

export class EventSourceMappings {
  private readonly pollers = new Map<string, SqsPoller>();
  private closed = false;

  constructor(
    private readonly ctx: LocalContext,
    private readonly store: LambdaStore,
    private readonly deps: { sqs: SqsApi; faults?: MappingFaults },
    private readonly host: MappingHost,
  ) {}

  /** Mappings survive restarts: the enabled ones resume polling. */
  resume(): void {
    for (const mapping of this.store.listMappings()) if (mapping.enabled) this.startPoller(mapping);
  }

  async createEventSourceMapping(input: lambda.CreateEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration> {
    const arn = input.EventSourceArn;
    if (!arn)
      throw lambdaErrors.invalidParameter("1 validation error detected: Value null at 'eventSourceArn' failed to satisfy constraint: Member must not be null");
    if (!/^arn:aws[a-zA-Z-]*:sqs:/.test(arn))
      throw lambdaErrors.invalidParameter(`The wsq local cloud supports event source mappings for SQS queues only, not ${arn}.`);
    if (input.StartingPosition !== undefined) throw lambdaErrors.invalidParameter("StartingPosition is not valid for SQS event sources.");
    if (input.FilterCriteria?.Filters && input.FilterCriteria.Filters.length > 0)
      throw lambdaErrors.invalidParameter("FilterCriteria is not supported by the wsq local cloud.");
    const record = this.host.requireFunction(input.FunctionName);
    const fifo = isFifoArn(arn);
    const settings = check.checkMappingSettings(input, fifo);
    await this.checkQueue(arn, record);
    const faults = this.deps.faults;
    if (faults?.failCreateEventSourceMapping !== undefined && faults.failCreateEventSourceMapping > 0) {
      faults.failCreateEventSourceMapping -= 1;
      throw lambdaErrors.invalidParameter(ROLE_CANNOT_RECEIVE);
    }
    const existing = this.store.listMappings().find((m) => m.eventSourceArn === arn && m.functionName === record.name);
    if (existing) {
      throw lambdaErrors.conflict(
        `An event source mapping with SQS arn (" ${arn} ") and function (" ${record.name} ") already exists. Please update or delete the existing mapping with UUID ${existing.uuid}`,
      );
    }
    const mapping: MappingRecord = {
      uuid: randomUUID(),
      functionName: record.name,
      eventSourceArn: arn,
      ...settings,
      enabled: input.Enabled ?? true,
      lastModified: this.ctx.clock.now(),
      lastProcessingResult: "No records processed",
    };
    this.store.putMapping(mapping);
    if (mapping.enabled) this.startPoller(mapping);
    return this.mappingConfiguration(mapping, "Creating");
  }

  async updateEventSourceMapping(input: lambda.UpdateEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration> {
    const mapping = this.requireMapping(input.UUID);
    let functionName = mapping.functionName;
    if (input.FunctionName !== undefined) functionName = this.host.requireFunction(input.FunctionName).name;
    if (input.FilterCriteria?.Filters && input.FilterCriteria.Filters.length > 0)
      throw lambdaErrors.invalidParameter("FilterCriteria is not supported by the wsq local cloud.");
    const settings = check.checkMappingSettings(input, isFifoArn(mapping.eventSourceArn), mapping);
    const updated: MappingRecord = { ...mapping, ...settings, functionName, enabled: input.Enabled ?? mapping.enabled, lastModified: this.ctx.clock.now() };
    this.store.putMapping(updated);
    this.stopPoller(mapping.uuid);
    if (updated.enabled) this.startPoller(updated);
    const state = input.Enabled === undefined || input.Enabled === mapping.enabled ? "Updating" : input.Enabled ? "Enabling" : "Disabling";
    return this.mappingConfiguration(updated, state);
  }

  async deleteEventSourceMapping(input: lambda.DeleteEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration> {
    const mapping = this.requireMapping(input.UUID);
    this.store.deleteMapping(mapping.uuid);
    this.stopPoller(mapping.uuid);
    return this.mappingConfiguration(mapping, "Deleting");
  }

  async getEventSourceMapping(input: lambda.GetEventSourceMappingRequest): Promise<lambda.EventSourceMappingConfiguration> {
    return this.mappingConfiguration(this.requireMapping(input.UUID));
  }

  async listEventSourceMappings(input: lambda.ListEventSourceMappingsRequest): Promise<lambda.ListEventSourceMappingsResponse> {
    const maxItems = input.MaxItems ?? 100;
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10_000) throw lambdaErrors.invalidParameter("MaxItems must be between 1 and 10000.");
    const functionName = input.FunctionName !== undefined ? this.host.nameOf(input.FunctionName) : undefined;
    const all = this.store
      .listMappings()
      .filter(
        (m) =>
          (functionName === undefined || m.functionName === functionName) && (input.EventSourceArn === undefined || m.eventSourceArn === input.EventSourceArn),
      );
    const start = input.Marker ? Number(Buffer.from(input.Marker, "base64url").toString("utf8")) || 0 : 0;
    return {
      EventSourceMappings: all.slice(start, start + maxItems).map((m) => this.mappingConfiguration(m)),
      ...(start + maxItems < all.length ? { NextMarker: Buffer.from(String(start + maxItems)).toString("base64url") } : {}),
    };
  }

  private requireMapping(uuid: string | undefined): MappingRecord {
    const mapping = uuid ? this.store.getMapping(uuid) : undefined;
    if (!mapping) throw lambdaErrors.resourceNotFound();
    return mapping;
  }

  /** AWS refuses a mapping whose queue would hand a message to another poller before the function could finish. */
  private async checkQueue(arn: string, record: FunctionRecord): Promise<void> {
    const queueUrl = this.deps.sqs.queueUrlFromArn(arn);
    if (queueUrl === undefined) {
      throw lambdaErrors.invalidParameter(
        "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist for this wsdl version.",
      );
    }
    const attributes = (await this.deps.sqs.getQueueAttributes({ QueueUrl: queueUrl, AttributeNames: ["VisibilityTimeout"] })).Attributes ?? {};
    const visibility = Number(attributes.VisibilityTimeout ?? 30);
    const timeout = record.configuration.Timeout ?? limits.DEFAULT_TIMEOUT_SECONDS;
    if (visibility < timeout)
      throw lambdaErrors.invalidParameter(`Queue visibility timeout: ${visibility} seconds is less than Function timeout: ${timeout} seconds`);
  }

  private mappingConfiguration(mapping: MappingRecord, state?: string): lambda.EventSourceMappingConfiguration {
    return {
      UUID: mapping.uuid,
      BatchSize: mapping.batchSize,
      MaximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds,
      EventSourceArn: mapping.eventSourceArn,
      FunctionArn: this.host.functionArn(mapping.functionName),
      LastModified: new Date(mapping.lastModified),
      LastProcessingResult: mapping.lastProcessingResult,
      State: state ?? (mapping.enabled ? "Enabled" : "Disabled"),
      StateTransitionReason: "USER_INITIATED",
      FunctionResponseTypes: mapping.functionResponseTypes as lambda.FunctionResponseType[],
      ...(mapping.maximumConcurrency !== undefined ? { ScalingConfig: { MaximumConcurrency: mapping.maximumConcurrency } } : {}),
      EventSourceMappingArn: `arn:aws:lambda:${this.ctx.region}:${this.ctx.accountId}:event-source-mapping:${mapping.uuid}`,
    };
  }

  private startPoller(mapping: MappingRecord): void {
    if (this.closed || this.pollers.has(mapping.uuid)) return;
    const poller = new SqsPoller(mapping, {
      sqs: this.deps.sqs,
      region: this.ctx.region,
      log: this.ctx.log,
      invoke: (functionName, eventJson) => this.host.invoke(functionName, eventJson),
      functionConcurrency: (functionName) => this.host.functionConcurrency(functionName),
      reportResult: (uuid, result) => this.reportResult(uuid, result),
    });
    this.pollers.set(mapping.uuid, poller);
    poller.start();
    this.host.prewarm(mapping.functionName, poller.concurrency);
  }

  /** The poll loops the enabled mappings of this function run, together (0: none polls for it). */
  pollingConcurrency(functionName: string): number {
    let loops = 0;
    for (const poller of this.pollers.values()) if (poller.mapping.functionName === functionName) loops += poller.concurrency;
    return loops;
  }

  private stopPoller(uuid: string): void {
    const poller = this.pollers.get(uuid);
    if (!poller) return;
    this.pollers.delete(uuid);
    this.host.track(poller.stop());
  }

  /** The function's concurrency changed: its mappings poll with as many loops as it now allows. */
  restartPollersOf(functionName: string): void {
    for (const [uuid, poller] of [...this.pollers]) {
      if (poller.mapping.functionName !== functionName) continue;
      this.stopPoller(uuid);
      const mapping = this.store.getMapping(uuid);
      if (mapping?.enabled) this.startPoller(mapping);
    }
  }

  private reportResult(uuid: string, result: string): void {
    const mapping = this.store.getMapping(uuid);
    if (mapping && mapping.lastProcessingResult !== result) this.store.putMapping({ ...mapping, lastProcessingResult: result });
  }

  /** Stops every poller; in-flight batches end when their invocations do. */
  close(): void {
    this.closed = true;
    for (const uuid of [...this.pollers.keys()]) this.stopPoller(uuid);
  }
}
