/**
 * The SQS service logic behind both wire protocols: queues, sends, receives and the FIFO rules.
 * It knows nothing of HTTP. Every mutation goes through the group committer (one transaction per
 * event-loop turn); reads go straight to the database.
 */
import { randomUUID } from "node:crypto";
import type * as sqs from "@aws-sdk/client-sqs";
import type { LocalContext } from "../context.js";
import type { SqsApi } from "../contracts.js";
import { isAwsServiceError, type AwsServiceError } from "../aws-error.js";
import { sqsErrors } from "./errors.js";
import * as limits from "./limits.js";
import { GroupCommitter } from "./group-commit.js";
import { Scheduler } from "./scheduler.js";
import { SqsStore, type MessageRow, type QueueRow } from "./store.js";
import { FifoThroughput, fifoQuotasFor, isHighThroughput, type QuotaAction } from "./throughput.js";
import { md5OfAttributes, type StoredAttributes } from "./md5.js";
import { MoveTasks, type MoveTimer } from "./move-tasks.js";
import {
  defaultAttributes,
  intAttribute,
  isValidQueueName,
  mergeAttributes,
  normalizeAttributes,
  redrivePolicyOf,
  requestedQueueAttributes,
  type QueueAttributes,
} from "./queue-attributes.js";
import {
  checkBatchEntries,
  checkIntegerParameter,
  decodeReceiptHandle,
  encodeReceiptHandle,
  messageAttributeFilter,
  newReceiptToken,
  selectSystemAttributes,
  sequenceNumber,
  validateMessage,
  type ValidatedMessage,
} from "./message-rules.js";

interface QueueState {
  name: string;
  fifo: boolean;
  attributes: QueueAttributes;
  tags: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  purgedAt: number | undefined;
}

interface ReceivedMessage {
  row: MessageRow;
  token: string;
}

/** Printable characters allowed in ReceiveRequestAttemptId (API_ReceiveMessage). */
const ATTEMPT_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+$/;
/** How many groups a FIFO receive reads per index page. */
const GROUP_PAGE = 64;

export interface SqsServiceOptions {
  /**
   * Enforce AWS's FIFO throughput quotas (300 transactions per second per API action, per
   * message group in high-throughput mode): on unless the user turns them off (`--no-quotas`).
   */
  quotas?: boolean;
  /** Drives message move tasks; tests inject a manual one (move-tasks.ts). */
  moveTaskTimer?: MoveTimer;
}

export class SqsService implements SqsApi {
  readonly store: SqsStore;
  readonly committer: GroupCommitter;
  readonly scheduler: Scheduler;
  /** StartMessageMoveTask & co.: DLQ redrive (move-tasks.ts). */
  readonly moveTasks: MoveTasks;
  private queues = new Map<string, QueueState>();
  /** Undefined when quotas are off. */
  private readonly throughput: FifoThroughput | undefined;

  constructor(
    private readonly ctx: LocalContext,
    options: SqsServiceOptions = {},
  ) {
    this.throughput = options.quotas === false ? undefined : new FifoThroughput(fifoQuotasFor(ctx.region), ctx.clock);
    this.store = new SqsStore(ctx.db);
    this.loadQueues();
    this.scheduler = new Scheduler(ctx.clock, {
      nextVisibleAt: (queue, now) => this.store.nextVisibleAt(queue, now),
      nextHousekeeping: () => this.store.nextHousekeeping(),
      housekeep: () => {
        this.committer.submit(() => this.sweep()).catch((error: unknown) => ctx.log.log("error", "SQS retention sweep failed", { error: String(error) }));
      },
    });
    this.committer = new GroupCommitter(
      ctx.db,
      () => this.scheduler.publish(),
      () => this.loadQueues(),
    );
    this.scheduler.rearm();
    this.moveTasks = new MoveTasks(
      {
        ctx,
        store: this.store,
        committer: this.committer,
        queue: (name) => this.queues.get(name),
        queueArn: (name) => this.queueArn(name),
        isDeadLetterQueue: (arn) => [...this.queues.values()].some((q) => redrivePolicyOf(q.attributes)?.deadLetterTargetArn === arn),
        markChanged: (name) => this.scheduler.markChanged(name),
      },
      options.moveTaskTimer,
    );
  }

  private loadQueues(): void {
    const queues = new Map<string, QueueState>();
    for (const row of this.store.allQueues()) {
      queues.set(row.name, {
        name: row.name,
        fifo: row.fifo === 1,
        attributes: JSON.parse(row.attributes) as QueueAttributes,
        tags: JSON.parse(row.tags) as Record<string, string>,
        createdAt: row.created_at,
        modifiedAt: row.modified_at,
        purgedAt: row.purged_at ?? undefined,
      });
    }
    this.queues = queues;
  }

  private saveQueue(queue: QueueState): void {
    const row: QueueRow = {
      name: queue.name,
      fifo: queue.fifo ? 1 : 0,
      attributes: JSON.stringify(queue.attributes),
      tags: JSON.stringify(queue.tags),
      created_at: queue.createdAt,
      modified_at: queue.modifiedAt,
      purged_at: queue.purgedAt ?? null,
    };
    this.store.saveQueue(row);
    this.queues.set(queue.name, queue);
  }

  /** Commits pending work, releases long-pollers. */
  close(): void {
    this.moveTasks.close();
    this.scheduler.close();
    this.committer.close();
  }

  // ---------------------------------------------------------------- naming
  queueUrl(name: string): string {
    return `${this.ctx.baseUrl()}/${this.ctx.accountId}/${name}`;
  }
  queueArn(name: string): string {
    return `arn:aws:sqs:${this.ctx.region}:${this.ctx.accountId}:${name}`;
  }

  /** Any host is accepted (clients may use localhost or 127.0.0.1); the path names the queue. */
  private queueNameFromUrl(url: string | undefined): string | undefined {
    if (url === undefined || url === "") return undefined;
    let path = url;
    if (/^[a-z]+:\/\//i.test(url)) {
      try {
        path = new URL(url).pathname;
      } catch {
        return undefined;
      }
    }
    const parts = path.split("/").filter((p) => p !== "");
    if (parts.length !== 2 || parts[0] !== this.ctx.accountId) return undefined;
    return decodeURIComponent(parts[1] as string);
  }

  private queueFor(url: string | undefined): QueueState {
    if (url === undefined || url === "") throw sqsErrors.missingParameter("QueueUrl");
    const name = this.queueNameFromUrl(url);
    const queue = name === undefined ? undefined : this.queues.get(name);
    if (queue === undefined) throw sqsErrors.queueDoesNotExist();
    return queue;
  }

  /** Whether FIFO throughput quotas are enforced. */
  get quotasEnforced(): boolean {
    return this.throughput !== undefined;
  }

  /**
   * The FIFO throughput quota, charged when a valid call enters the service and before it has any
   * effect: a throttled call enqueues, receives, deletes and deduplicates nothing. `groups` lists
   * the message groups the call touches (only asked for in high-throughput mode).
   */
  private throttle(queue: QueueState, action: QuotaAction, groups?: () => Iterable<string>): void {
    if (this.throughput === undefined || !queue.fifo) return;
    const highThroughput = isHighThroughput(queue.attributes);
    const refused = this.throughput.charge(queue.name, action, highThroughput, highThroughput && groups !== undefined ? groups() : []);
    if (refused === undefined) return;
    const per = `${refused.rate.toLocaleString("en-US")} ${action} transactions per second (a batch call counts as one)`;
    if (refused.scope === "group") {
      throw sqsErrors.requestThrottled(
        `Request is throttled: message group ${refused.group ?? ""} of the high-throughput FIFO queue ${queue.name} takes at most ${per}. ` +
          "Retry with backoff, or spread the messages over more message groups.",
      );
    }
    if (refused.scope === "high-throughput queue") {
      throw sqsErrors.requestThrottled(
        `Request is throttled: the high-throughput FIFO queue ${queue.name} takes at most ${per} in ${this.ctx.region}. Retry with backoff, or batch.`,
      );
    }
    throw sqsErrors.requestThrottled(
      `Request is throttled: the FIFO queue ${queue.name} takes at most ${per}. Retry with backoff, batch, or enable high throughput ` +
        "(DeduplicationScope=messageGroup and FifoThroughputLimit=perMessageGroupId).",
    );
  }

  /** The message groups of the messages these receipt handles name (those that still exist). */
  private groupsOfHandles(queue: QueueState, handles: (string | undefined)[]): string[] {
    const groups: string[] = [];
    for (const handle of handles) {
      let seq: number;
      try {
        const decoded = decodeReceiptHandle(handle);
        if (decoded.queue !== queue.name) continue;
        seq = decoded.seq;
      } catch {
        continue;
      }
      const row = this.store.message(seq);
      if (row !== undefined && row.queue === queue.name && row.group_id !== null) groups.push(row.group_id);
    }
    return groups;
  }

  /** Inside a transaction: the queue may have been deleted since the request was validated. */
  private stillThere(queue: QueueState): QueueState {
    const current = this.queues.get(queue.name);
    if (current === undefined) throw sqsErrors.queueDoesNotExist();
    return current;
  }

  queueUrlFromArn(arn: string): string | undefined {
    const parts = arn.split(":");
    if (parts.length !== 6 || parts[0] !== "arn" || parts[2] !== "sqs" || parts[4] !== this.ctx.accountId) return undefined;
    const name = parts[5] as string;
    return this.queues.has(name) ? this.queueUrl(name) : undefined;
  }

  queueUrlFromPath(path: string): string | undefined {
    const name = this.queueNameFromUrl(path.split("?")[0]);
    return name !== undefined && this.queues.has(name) ? this.queueUrl(name) : undefined;
  }

  private dlqFor(arn: string): QueueState | undefined {
    const parts = arn.split(":");
    if (parts.length !== 6 || parts[2] !== "sqs" || parts[4] !== this.ctx.accountId) return undefined;
    return this.queues.get(parts[5] as string);
  }

  /** The DLQ named by a RedrivePolicy must exist and be of the same kind (FIFO ↔ FIFO). */
  private checkRedrive(attributes: QueueAttributes, fifo: boolean): void {
    const policy = redrivePolicyOf(attributes);
    if (policy === undefined) return;
    const dlq = this.dlqFor(policy.deadLetterTargetArn);
    if (dlq === undefined) {
      throw sqsErrors.invalidParameterValue(
        `Value ${JSON.stringify(policy)} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`,
      );
    }
    if (dlq.fifo !== fifo) {
      throw sqsErrors.invalidParameterValue(
        `Value ${JSON.stringify(policy)} for parameter RedrivePolicy is invalid. Reason: Dead-letter target owner and target type must match source queue (${fifo ? "FIFO" : "standard"}).`,
      );
    }
  }

  // ---------------------------------------------------------------- queues
  async createQueue(input: sqs.CreateQueueRequest): Promise<sqs.CreateQueueResult> {
    const name = input.QueueName;
    if (name === undefined || name === "") throw sqsErrors.missingParameter("QueueName");
    const requested = input.Attributes ?? {};
    const fifo = String(requested.FifoQueue ?? "false").toLowerCase() === "true";
    if (!isValidQueueName(name, fifo)) {
      throw sqsErrors.invalidParameterValue(
        fifo || name.endsWith(limits.FIFO_SUFFIX)
          ? "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
          : "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
      );
    }
    const given = normalizeAttributes(requested, fifo, true);
    const tags = checkTags(input.tags ?? {});
    return this.committer.submit(() => {
      const now = this.ctx.clock.now();
      const existing = this.queues.get(name);
      if (existing !== undefined) {
        // Idempotent only when every attribute given equals the stored one (API_CreateQueue).
        for (const [attribute, value] of Object.entries(given)) {
          const stored = attribute === "FifoQueue" ? String(existing.fifo) : existing.attributes[attribute];
          if (stored !== value && !(attribute === "RedrivePolicy" && value === "" && stored === undefined)) {
            throw sqsErrors.queueAlreadyExists(`A queue already exists with the same name and a different value for attribute ${attribute}`);
          }
        }
        if (fifo !== existing.fifo)
          throw sqsErrors.queueAlreadyExists("A queue already exists with the same name and a different value for attribute FifoQueue");
        return { QueueUrl: this.queueUrl(name) };
      }
      const deletedAt = this.store.deletedAt(name);
      if (deletedAt !== undefined && now - deletedAt < limits.QUEUE_NAME_REUSE_DELAY_MS) throw sqsErrors.queueDeletedRecently();
      const attributes = mergeAttributes(defaultAttributes(fifo), given);
      this.checkRedrive(attributes, fifo);
      this.saveQueue({ name, fifo, attributes, tags, createdAt: now, modifiedAt: now, purgedAt: undefined });
      return { QueueUrl: this.queueUrl(name) };
    });
  }

  async getQueueUrl(input: sqs.GetQueueUrlRequest): Promise<sqs.GetQueueUrlResult> {
    if (input.QueueName === undefined || input.QueueName === "") throw sqsErrors.missingParameter("QueueName");
    if (input.QueueOwnerAWSAccountId !== undefined && input.QueueOwnerAWSAccountId !== this.ctx.accountId) throw sqsErrors.queueDoesNotExist();
    if (!this.queues.has(input.QueueName)) throw sqsErrors.queueDoesNotExist();
    return { QueueUrl: this.queueUrl(input.QueueName) };
  }

  async listQueues(input: sqs.ListQueuesRequest): Promise<sqs.ListQueuesResult> {
    const max = checkIntegerParameter("MaxResults", input.MaxResults, 1, limits.MAX_LIST_QUEUES_RESULTS, "MaxResults must be an integer between 1 and 1000.");
    if (input.NextToken !== undefined && max === undefined) {
      throw sqsErrors.invalidParameterValue("MaxResults is a mandatory parameter when you provide a value for NextToken.");
    }
    let after = "";
    if (input.NextToken !== undefined && input.NextToken !== "") {
      after = Buffer.from(input.NextToken, "base64url").toString("utf8");
      if (!after.startsWith("wsq:")) throw sqsErrors.invalidParameterValue("Invalid NextToken value.");
      after = after.slice(4);
    }
    const prefix = input.QueueNamePrefix ?? "";
    const names = [...this.queues.keys()].filter((n) => n.startsWith(prefix) && n > after).sort();
    const pageSize = max ?? limits.MAX_LIST_QUEUES_RESULTS;
    const page = names.slice(0, pageSize);
    const result: sqs.ListQueuesResult = {};
    if (page.length > 0) result.QueueUrls = page.map((n) => this.queueUrl(n));
    if (max !== undefined && names.length > pageSize) result.NextToken = Buffer.from(`wsq:${page[page.length - 1] as string}`).toString("base64url");
    return result;
  }

  async deleteQueue(input: sqs.DeleteQueueRequest): Promise<void> {
    const queue = this.queueFor(input.QueueUrl);
    await this.committer.submit(() => {
      this.stillThere(queue);
      this.store.deleteQueue(queue.name, this.ctx.clock.now());
      this.moveTasks.queueDeleted(queue.name);
      this.queues.delete(queue.name);
      this.throughput?.forget(queue.name);
      this.scheduler.markChanged(queue.name);
    });
  }

  async getQueueAttributes(input: sqs.GetQueueAttributesRequest): Promise<sqs.GetQueueAttributesResult> {
    const queue = this.queueFor(input.QueueUrl);
    const names = requestedQueueAttributes(input.AttributeNames, queue.fifo);
    if (names.length === 0) return {};
    const now = this.ctx.clock.now();
    const counts = names.some((n) => n.startsWith("ApproximateNumberOfMessages")) ? this.store.counts(queue.name, now) : undefined;
    const attributes: Record<string, string> = {};
    for (const name of names) {
      switch (name) {
        case "ApproximateNumberOfMessages":
          attributes[name] = String(counts?.visible ?? 0);
          break;
        case "ApproximateNumberOfMessagesNotVisible":
          attributes[name] = String(counts?.inflight ?? 0);
          break;
        case "ApproximateNumberOfMessagesDelayed":
          attributes[name] = String(counts?.delayed ?? 0);
          break;
        case "CreatedTimestamp":
          attributes[name] = String(Math.floor(queue.createdAt / 1000));
          break;
        case "LastModifiedTimestamp":
          attributes[name] = String(Math.floor(queue.modifiedAt / 1000));
          break;
        case "QueueArn":
          attributes[name] = this.queueArn(queue.name);
          break;
        default: {
          const value = queue.attributes[name];
          if (value !== undefined) attributes[name] = value;
        }
      }
    }
    return { Attributes: attributes };
  }

  async setQueueAttributes(input: sqs.SetQueueAttributesRequest): Promise<void> {
    const queue = this.queueFor(input.QueueUrl);
    if (input.Attributes === undefined || Object.keys(input.Attributes).length === 0) throw sqsErrors.missingParameter("Attribute.Name");
    const changes = normalizeAttributes(input.Attributes, queue.fifo, false);
    await this.committer.submit(() => {
      const current = this.stillThere(queue);
      const attributes = mergeAttributes(current.attributes, changes);
      this.checkRedrive(attributes, current.fifo);
      this.saveQueue({ ...current, attributes, modifiedAt: this.ctx.clock.now() });
      this.scheduler.markChanged(queue.name);
    });
  }

  async purgeQueue(input: sqs.PurgeQueueRequest): Promise<void> {
    const queue = this.queueFor(input.QueueUrl);
    await this.committer.submit(() => {
      const current = this.stillThere(queue);
      const now = this.ctx.clock.now();
      if (current.purgedAt !== undefined && now - current.purgedAt < limits.PURGE_COOLDOWN_MS) {
        throw sqsErrors.purgeQueueInProgress(`Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`);
      }
      this.store.purge(queue.name);
      this.saveQueue({ ...current, purgedAt: now });
    });
  }

  async tagQueue(input: sqs.TagQueueRequest): Promise<void> {
    const queue = this.queueFor(input.QueueUrl);
    if (input.Tags === undefined || Object.keys(input.Tags).length === 0) throw sqsErrors.missingParameter("Tags");
    const tags = checkTags(input.Tags);
    await this.committer.submit(() => {
      const current = this.stillThere(queue);
      const merged = { ...current.tags, ...tags };
      if (Object.keys(merged).length > limits.MAX_TAGS) throw sqsErrors.invalidParameterValue(`Too many tags added for queue ${queue.name}.`);
      this.saveQueue({ ...current, tags: merged });
    });
  }

  async untagQueue(input: sqs.UntagQueueRequest): Promise<void> {
    const queue = this.queueFor(input.QueueUrl);
    if (input.TagKeys === undefined || input.TagKeys.length === 0) throw sqsErrors.missingParameter("TagKeys");
    await this.committer.submit(() => {
      const current = this.stillThere(queue);
      const tags = { ...current.tags };
      for (const key of input.TagKeys ?? []) delete tags[key];
      this.saveQueue({ ...current, tags });
    });
  }

  /** Queues whose RedrivePolicy names this queue as their dead-letter queue. */
  async listDeadLetterSourceQueues(input: sqs.ListDeadLetterSourceQueuesRequest): Promise<sqs.ListDeadLetterSourceQueuesResult> {
    const queue = this.queueFor(input.QueueUrl);
    const arn = this.queueArn(queue.name);
    const sources = [...this.queues.values()].filter((q) => redrivePolicyOf(q.attributes)?.deadLetterTargetArn === arn).map((q) => this.queueUrl(q.name));
    return { queueUrls: sources.sort() };
  }

  async listQueueTags(input: sqs.ListQueueTagsRequest): Promise<sqs.ListQueueTagsResult> {
    const queue = this.queueFor(input.QueueUrl);
    return Object.keys(queue.tags).length === 0 ? {} : { Tags: { ...queue.tags } };
  }

  // ---------------------------------------------------------------- sending
  private kind(queue: QueueState): { fifo: boolean; contentBasedDeduplication: boolean; maximumMessageSize: number } {
    return {
      fifo: queue.fifo,
      contentBasedDeduplication: queue.attributes.ContentBasedDeduplication === "true",
      maximumMessageSize: intAttribute(queue.attributes, "MaximumMessageSize", limits.DEFAULT_MAX_MESSAGE_SIZE),
    };
  }

  /** Inside the group commit: dedup check, then insert. */
  private enqueue(queue: QueueState, message: ValidatedMessage): sqs.SendMessageResult {
    const current = this.stillThere(queue);
    const now = this.ctx.clock.now();
    const digests = {
      MD5OfMessageBody: message.md5OfBody,
      MD5OfMessageAttributes: message.md5OfAttributes,
      MD5OfMessageSystemAttributes: message.md5OfSystemAttributes,
    };
    let scope = "";
    if (current.fifo) {
      scope = current.attributes.DeduplicationScope === "messageGroup" ? (message.groupId as string) : "";
      const duplicate = this.store.findDedup(current.name, scope, message.dedupId as string, now);
      // A duplicate within the window is accepted with the original id but not enqueued again.
      if (duplicate !== undefined) return { MessageId: duplicate.message_id, ...digests, SequenceNumber: sequenceNumber(duplicate.seq) };
    }
    const messageId = randomUUID();
    const delay = message.delaySeconds ?? intAttribute(current.attributes, "DelaySeconds", 0);
    const seq = this.store.insertMessage({
      queue: current.name,
      message_id: messageId,
      body: message.body,
      attributes: message.attributes === undefined ? null : JSON.stringify(message.attributes),
      system_attributes: message.systemAttributes === undefined ? null : JSON.stringify(message.systemAttributes),
      md5_body: message.md5OfBody,
      md5_attributes: message.md5OfAttributes ?? null,
      group_id: message.groupId ?? null,
      dedup_id: message.dedupId ?? null,
      sender_id: this.ctx.accountId,
      sent_at: now,
      visible_at: now + delay * limits.SECONDS,
      expires_at: now + intAttribute(current.attributes, "MessageRetentionPeriod", limits.DEFAULT_RETENTION_SECONDS) * limits.SECONDS,
      dlq_source_arn: null,
    });
    if (current.fifo) this.store.putDedup(current.name, scope, message.dedupId as string, messageId, seq, now + limits.DEDUP_WINDOW_MS);
    this.scheduler.markChanged(current.name);
    return current.fifo ? { MessageId: messageId, ...digests, SequenceNumber: sequenceNumber(seq) } : { MessageId: messageId, ...digests };
  }

  async sendMessage(input: sqs.SendMessageRequest): Promise<sqs.SendMessageResult> {
    const queue = this.queueFor(input.QueueUrl);
    const message = validateMessage(input, this.kind(queue));
    this.throttle(queue, "SendMessage", () => [message.groupId as string]);
    return stripUndefined(await this.committer.submit(() => this.enqueue(queue, message)));
  }

  async sendMessageBatch(input: sqs.SendMessageBatchRequest): Promise<sqs.SendMessageBatchResult> {
    const queue = this.queueFor(input.QueueUrl);
    checkBatchEntries(input.Entries, "SendMessageBatchRequestEntry");
    const entries = input.Entries ?? [];
    const kind = this.kind(queue);
    const failed: sqs.BatchResultErrorEntry[] = [];
    const valid: { id: string; message: ValidatedMessage }[] = [];
    let total = 0;
    for (const entry of entries) {
      try {
        const message = validateMessage(entry, kind);
        total += message.size;
        valid.push({ id: entry.Id as string, message });
      } catch (error) {
        failed.push(batchFailure(entry.Id as string, error));
      }
    }
    if (total > limits.MAX_BATCH_PAYLOAD_BYTES) {
      throw sqsErrors.batchRequestTooLong(
        `Batch requested message too long. Total size of all messages in the batch must be shorter than ${limits.MAX_BATCH_PAYLOAD_BYTES} bytes.`,
      );
    }
    // One transaction, charged to every message group its valid entries name.
    this.throttle(queue, "SendMessage", () => valid.map((v) => v.message.groupId as string));
    const successful = await this.committer.submit(() => {
      const results: sqs.SendMessageBatchResultEntry[] = [];
      for (const { id, message } of valid) {
        try {
          results.push(stripUndefined({ Id: id, ...this.enqueue(queue, message) }) as sqs.SendMessageBatchResultEntry);
        } catch (error) {
          if (!isAwsServiceError(error) || error.code === "QueueDoesNotExist") throw error;
          failed.push(batchFailure(id, error));
        }
      }
      return results;
    });
    return { Successful: successful, Failed: failed };
  }

  // ---------------------------------------------------------------- receiving
  async receiveMessage(input: sqs.ReceiveMessageRequest, signal?: AbortSignal): Promise<sqs.ReceiveMessageResult> {
    const queue = this.queueFor(input.QueueUrl);
    const max =
      checkIntegerParameter("MaxNumberOfMessages", input.MaxNumberOfMessages, 1, limits.MAX_RECEIVE_MESSAGES, "Must be between 1 and 10, if provided.") ?? 1;
    // Without an override, the queue's visibility timeout as it is when a message is delivered
    // (a long poll may outlast a SetQueueAttributes), not as it was when the poll began.
    const visibility = checkIntegerParameter(
      "VisibilityTimeout",
      input.VisibilityTimeout,
      0,
      limits.MAX_VISIBILITY_TIMEOUT_SECONDS,
      "Must be between 0 and 43200, if provided.",
    );
    const wait =
      checkIntegerParameter("WaitTimeSeconds", input.WaitTimeSeconds, 0, limits.MAX_WAIT_TIME_SECONDS, "Must be >= 0 and <= 20, if provided.") ??
      intAttribute(queue.attributes, "ReceiveMessageWaitTimeSeconds", 0);
    let attemptId: string | undefined;
    if (input.ReceiveRequestAttemptId !== undefined && queue.fifo) {
      attemptId = input.ReceiveRequestAttemptId;
      if (attemptId.length === 0 || attemptId.length > limits.MAX_ATTEMPT_ID_LENGTH || !ATTEMPT_ID.test(attemptId)) {
        throw sqsErrors.invalidParameterValue(
          `Value ${attemptId} for parameter ReceiveRequestAttemptId is invalid. Reason: ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
        );
      }
    }
    const systemNames = selectSystemAttributes(input.AttributeNames, input.MessageSystemAttributeNames);
    const wantAttribute = messageAttributeFilter(input.MessageAttributeNames);
    // One transaction however long it polls. It names no message group, so in high-throughput
    // mode it is charged to the queue-wide quota only (docs/sqs.md).
    this.throttle(queue, "ReceiveMessage");
    const deadline = this.ctx.clock.now() + wait * limits.SECONDS;

    for (;;) {
      if (signal?.aborted) return {};
      const version = this.scheduler.version(queue.name);
      const received = await this.committer.submit(() => this.receiveNow(queue, max, visibility, attemptId), "process-crash");
      if (received.length > 0 && signal?.aborted) {
        // The caller gave up while the receive committed: hand the messages straight back.
        await this.committer.submit(() => this.release(queue, received), "process-crash");
        return {};
      }
      if (received.length > 0) return { Messages: received.map((m) => this.render(queue, m, systemNames, wantAttribute)) };
      if (wait === 0) return {};
      const outcome = await this.scheduler.wait(queue.name, deadline, version, signal);
      if (outcome !== "changed") return {};
    }
  }

  /** One receive attempt inside a transaction. */
  private receiveNow(queue: QueueState, max: number, visibilityOverride: number | undefined, attemptId: string | undefined): ReceivedMessage[] {
    const current = this.stillThere(queue);
    const now = this.ctx.clock.now();
    const visibilitySeconds = visibilityOverride ?? intAttribute(current.attributes, "VisibilityTimeout", limits.DEFAULT_VISIBILITY_TIMEOUT_SECONDS);
    const visibleAt = now + visibilitySeconds * limits.SECONDS;
    if (attemptId !== undefined) {
      const replay = this.replayAttempt(current, attemptId, now, visibleAt);
      if (replay !== undefined) return replay;
    }
    const taken = current.fifo ? this.takeFifo(current, max, now) : this.takeStandard(current, max, now);
    const received: ReceivedMessage[] = [];
    for (const row of taken) {
      const token = newReceiptToken();
      this.store.markReceived(row.seq, visibleAt, now, token);
      received.push({
        row: {
          ...row,
          visible_at: visibleAt,
          receive_count: row.receive_count + 1,
          first_receive_at: row.first_receive_at ?? now,
          received_at: now,
          receipt_token: token,
        },
        token,
      });
    }
    if (attemptId !== undefined && received.length > 0) {
      this.store.putAttempt(current.name, attemptId, now, JSON.stringify(received.map((m) => [m.row.seq, m.token])));
    }
    return received;
  }

  /** Makes messages of a receive nobody will see visible again (their receive still counts). */
  private release(queue: QueueState, received: ReceivedMessage[]): void {
    const now = this.ctx.clock.now();
    for (const { row, token } of received) {
      const current = this.store.message(row.seq);
      if (current?.receipt_token === token) this.store.setVisibleAt(row.seq, now);
    }
    this.scheduler.markChanged(queue.name);
  }

  /**
   * ReceiveRequestAttemptId: a retry within 5 minutes returns the same messages and receipt
   * handles, provided none was deleted or had its visibility changed meanwhile; the visibility
   * timeout restarts.
   */
  private replayAttempt(queue: QueueState, attemptId: string, now: number, visibleAt: number): ReceivedMessage[] | undefined {
    const attempt = this.store.attempt(queue.name, attemptId);
    if (attempt === undefined || now - attempt.created_at >= limits.RECEIVE_ATTEMPT_WINDOW_MS) return undefined;
    const entries = JSON.parse(attempt.entries) as [number, string][];
    const rows: MessageRow[] = [];
    for (const [seq, token] of entries) {
      const row = this.store.message(seq);
      if (row === undefined || row.receipt_token !== token || row.queue !== queue.name) return undefined;
      rows.push(row);
    }
    return rows.map((row) => {
      this.store.setVisibleAt(row.seq, visibleAt);
      return { row: { ...row, visible_at: visibleAt }, token: row.receipt_token as string };
    });
  }

  /** Moves a message to the queue's DLQ if this receive would exceed maxReceiveCount. */
  private redriven(queue: QueueState, row: MessageRow, now: number): boolean {
    const policy = redrivePolicyOf(queue.attributes);
    if (policy === undefined || row.receive_count < policy.maxReceiveCount) return false;
    const dlq = this.dlqFor(policy.deadLetterTargetArn);
    if (dlq === undefined || dlq.fifo !== queue.fifo) return false;
    const retention = intAttribute(dlq.attributes, "MessageRetentionPeriod", limits.DEFAULT_RETENTION_SECONDS) * limits.SECONDS;
    // SQS keeps the message id, body and attributes. A standard message keeps its enqueue time
    // (retention counts from it); a FIFO message's enqueue time is reset on the move.
    const sentAt = queue.fifo ? now : row.sent_at;
    this.store.insertMessage({
      queue: dlq.name,
      message_id: row.message_id,
      body: row.body,
      attributes: row.attributes,
      system_attributes: row.system_attributes,
      md5_body: row.md5_body,
      md5_attributes: row.md5_attributes,
      group_id: row.group_id,
      // FIFO: "the original message's deduplication ID will be replaced with the original
      // message's ID", so that the DLQ never mistakes two messages for duplicates (redrive guide).
      dedup_id: queue.fifo ? row.message_id : row.dedup_id,
      sender_id: row.sender_id,
      sent_at: sentAt,
      visible_at: now,
      expires_at: sentAt + retention,
      receive_count: row.receive_count,
      first_receive_at: row.first_receive_at,
      dlq_source_arn: this.queueArn(queue.name),
    });
    this.store.deleteMessage(row, queue.fifo);
    this.scheduler.markChanged(dlq.name);
    return true;
  }

  private takeStandard(queue: QueueState, max: number, now: number): MessageRow[] {
    const taken: MessageRow[] = [];
    const seen = new Set<number>();
    for (let round = 0; round < 20 && taken.length < max; round++) {
      const rows = this.store.visibleStandard(queue.name, now, max + seen.size).filter((r) => !seen.has(r.seq));
      if (rows.length === 0) break;
      for (const row of rows) {
        if (taken.length >= max) break;
        seen.add(row.seq);
        if (!this.redriven(queue, row, now)) taken.push(row);
      }
    }
    return taken;
  }

  /**
   * FIFO: groups in the order of their oldest message; a group with a message in flight is
   * skipped entirely (nothing behind an in-flight message is delivered); from an open group take
   * consecutive visible messages, as many as fit, before moving to the next group.
   */
  private takeFifo(queue: QueueState, max: number, now: number): MessageRow[] {
    const blocked = this.store.inflightGroups(queue.name, now);
    const taken: MessageRow[] = [];
    const visited = new Set<string>();
    let afterHead = -1;
    for (;;) {
      const page = this.store.groupsPage(queue.name, afterHead, GROUP_PAGE);
      if (page.length === 0) break;
      for (const { group_id: group, head_seq: head } of page) {
        afterHead = head;
        if (taken.length >= max) return taken;
        if (blocked.has(group) || visited.has(group)) continue;
        visited.add(group);
        for (const row of this.store.groupMessages(queue.name, group, max - taken.length + 10)) {
          if (taken.length >= max) break;
          if (row.expires_at <= now) {
            this.store.deleteMessage(row, true);
            continue;
          }
          if (row.visible_at > now) break;
          if (this.redriven(queue, row, now)) continue;
          taken.push(row);
        }
      }
      if (taken.length >= max || page.length < GROUP_PAGE) break;
    }
    return taken;
  }

  private render(queue: QueueState, received: ReceivedMessage, systemNames: Set<string>, wantAttribute: (name: string) => boolean): sqs.Message {
    const row = received.row;
    const message: sqs.Message = {
      MessageId: row.message_id,
      ReceiptHandle: encodeReceiptHandle(queue.name, row.seq, received.token),
      MD5OfBody: row.md5_body,
      Body: row.body,
    };
    if (systemNames.size > 0) {
      const system: Record<string, string> = {};
      const trace = row.system_attributes === null ? undefined : (JSON.parse(row.system_attributes) as StoredAttributes).AWSTraceHeader?.StringValue;
      const values: Record<string, string | undefined> = {
        SenderId: row.sender_id,
        SentTimestamp: String(row.sent_at),
        ApproximateReceiveCount: String(row.receive_count),
        ApproximateFirstReceiveTimestamp: String(row.first_receive_at ?? row.received_at),
        SequenceNumber: queue.fifo ? sequenceNumber(row.seq) : undefined,
        MessageDeduplicationId: queue.fifo ? (row.dedup_id ?? undefined) : undefined,
        MessageGroupId: row.group_id ?? undefined,
        AWSTraceHeader: trace,
        DeadLetterQueueSourceArn: row.dlq_source_arn ?? undefined,
      };
      for (const name of systemNames) {
        const value = values[name];
        if (value !== undefined) system[name] = value;
      }
      if (Object.keys(system).length > 0) message.Attributes = system;
    }
    if (row.attributes !== null) {
      const stored = JSON.parse(row.attributes) as StoredAttributes;
      const selected: StoredAttributes = {};
      for (const [name, value] of Object.entries(stored)) if (wantAttribute(name)) selected[name] = value;
      if (Object.keys(selected).length > 0) {
        message.MD5OfMessageAttributes = md5OfAttributes(selected);
        message.MessageAttributes = Object.fromEntries(
          Object.entries(selected).map(([name, value]) => [
            name,
            value.BinaryValue !== undefined
              ? { DataType: value.DataType, BinaryValue: Buffer.from(value.BinaryValue, "base64") }
              : { DataType: value.DataType, StringValue: value.StringValue },
          ]),
        );
      }
    }
    return message;
  }

  // ---------------------------------------------------------------- deleting and visibility
  /** A well-formed handle of this queue, or ReceiptHandleIsInvalid. */
  private handleFor(queue: QueueState, handle: string): { seq: number; token: string } {
    const decoded = decodeReceiptHandle(handle);
    if (decoded.queue !== queue.name) throw sqsErrors.receiptHandleIsInvalid(`The receipt handle "${handle}" is not valid for this queue.`);
    return decoded;
  }

  /** Inside a transaction. Standard: a stale handle succeeds without deleting (API_DeleteMessage). */
  private deleteNow(queue: QueueState, handle: string): void {
    const current = this.stillThere(queue);
    const { seq, token } = this.handleFor(current, handle);
    const row = this.store.message(seq);
    if (row === undefined || row.queue !== current.name) return;
    const now = this.ctx.clock.now();
    if (current.fifo && (row.receipt_token !== token || row.visible_at <= now)) {
      // FIFO refuses a handle whose receive is over: the message may be with another consumer.
      throw sqsErrors.invalidParameterValue(`Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`);
    }
    if (row.receipt_token !== token) return;
    this.store.deleteMessage(row, current.fifo);
    if (current.fifo) this.scheduler.markChanged(current.name);
  }

  async deleteMessage(input: sqs.DeleteMessageRequest): Promise<void> {
    const queue = this.queueFor(input.QueueUrl);
    const handle = input.ReceiptHandle;
    decodeReceiptHandle(handle);
    this.throttle(queue, "DeleteMessage", () => this.groupsOfHandles(queue, [handle]));
    await this.committer.submit(() => this.deleteNow(queue, handle as string), "process-crash");
  }

  async deleteMessageBatch(input: sqs.DeleteMessageBatchRequest): Promise<sqs.DeleteMessageBatchResult> {
    const queue = this.queueFor(input.QueueUrl);
    checkBatchEntries(input.Entries, "DeleteMessageBatchRequestEntry");
    this.throttle(queue, "DeleteMessage", () =>
      this.groupsOfHandles(
        queue,
        (input.Entries ?? []).map((e) => e.ReceiptHandle),
      ),
    );
    return this.committer.submit(() => {
      const successful: sqs.DeleteMessageBatchResultEntry[] = [];
      const failed: sqs.BatchResultErrorEntry[] = [];
      for (const entry of input.Entries ?? []) {
        try {
          this.deleteNow(queue, entry.ReceiptHandle as string);
          successful.push({ Id: entry.Id });
        } catch (error) {
          if (!isAwsServiceError(error) || error.code === "QueueDoesNotExist") throw error;
          failed.push(batchFailure(entry.Id as string, error));
        }
      }
      return { Successful: successful, Failed: failed };
    }, "process-crash");
  }

  private changeVisibilityNow(queue: QueueState, handle: string, seconds: number): void {
    const current = this.stillThere(queue);
    const { seq, token } = this.handleFor(current, handle);
    const row = this.store.message(seq);
    const now = this.ctx.clock.now();
    if (row === undefined || row.queue !== current.name || row.receipt_token !== token) {
      throw sqsErrors.invalidParameterValue(
        `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    }
    if (row.visible_at <= now) throw sqsErrors.messageNotInflight();
    const visibleAt = now + seconds * limits.SECONDS;
    // The total visibility of one receive may not pass 12 hours (API_ChangeMessageVisibility).
    if (visibleAt - (row.received_at ?? now) > limits.MAX_VISIBILITY_TIMEOUT_SECONDS * limits.SECONDS) {
      throw sqsErrors.invalidParameterValue(
        `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`,
      );
    }
    this.store.setVisibleAt(seq, visibleAt);
    this.scheduler.markChanged(current.name);
  }

  private visibilitySeconds(value: unknown): number {
    if (value === undefined || value === null) throw sqsErrors.missingParameter("VisibilityTimeout");
    return checkIntegerParameter("VisibilityTimeout", value, 0, limits.MAX_VISIBILITY_TIMEOUT_SECONDS, "Must be between 0 and 43200, if provided.") as number;
  }

  async changeMessageVisibility(input: sqs.ChangeMessageVisibilityRequest): Promise<void> {
    const queue = this.queueFor(input.QueueUrl);
    decodeReceiptHandle(input.ReceiptHandle);
    const seconds = this.visibilitySeconds(input.VisibilityTimeout);
    this.throttle(queue, "ChangeMessageVisibility", () => this.groupsOfHandles(queue, [input.ReceiptHandle]));
    await this.committer.submit(() => this.changeVisibilityNow(queue, input.ReceiptHandle as string, seconds), "process-crash");
  }

  async changeMessageVisibilityBatch(input: sqs.ChangeMessageVisibilityBatchRequest): Promise<sqs.ChangeMessageVisibilityBatchResult> {
    const queue = this.queueFor(input.QueueUrl);
    checkBatchEntries(input.Entries, "ChangeMessageVisibilityBatchRequestEntry");
    this.throttle(queue, "ChangeMessageVisibility", () =>
      this.groupsOfHandles(
        queue,
        (input.Entries ?? []).map((e) => e.ReceiptHandle),
      ),
    );
    return this.committer.submit(() => {
      const successful: sqs.ChangeMessageVisibilityBatchResultEntry[] = [];
      const failed: sqs.BatchResultErrorEntry[] = [];
      for (const entry of input.Entries ?? []) {
        try {
          this.changeVisibilityNow(queue, entry.ReceiptHandle as string, this.visibilitySeconds(entry.VisibilityTimeout ?? 0));
          successful.push({ Id: entry.Id });
        } catch (error) {
          if (!isAwsServiceError(error) || error.code === "QueueDoesNotExist") throw error;
          failed.push(batchFailure(entry.Id as string, error));
        }
      }
      return { Successful: successful, Failed: failed };
    }, "process-crash");
  }

  // ---------------------------------------------------------------- message move tasks (DLQ redrive)
  async startMessageMoveTask(input: sqs.StartMessageMoveTaskRequest): Promise<sqs.StartMessageMoveTaskResult> {
    return this.moveTasks.start(input);
  }

  async listMessageMoveTasks(input: sqs.ListMessageMoveTasksRequest): Promise<sqs.ListMessageMoveTasksResult> {
    return this.moveTasks.list(input);
  }

  async cancelMessageMoveTask(input: sqs.CancelMessageMoveTaskRequest): Promise<sqs.CancelMessageMoveTaskResult> {
    return this.moveTasks.cancel(input);
  }

  // ---------------------------------------------------------------- housekeeping
  /** Retention: messages past MessageRetentionPeriod disappear; stale dedup ids are forgotten. */
  private sweep(): void {
    const now = this.ctx.clock.now();
    const fifo = new Set([...this.queues.values()].filter((q) => q.fifo).map((q) => q.name));
    this.store.sweep(now, fifo);
    this.store.expireAttempts(now - limits.RECEIVE_ATTEMPT_WINDOW_MS);
  }
}

function batchFailure(id: string, error: unknown): sqs.BatchResultErrorEntry {
  if (!isAwsServiceError(error)) throw error;
  const aws: AwsServiceError = error;
  return { Id: id, SenderFault: aws.fault === "Sender", Code: aws.code, Message: aws.message };
}

function checkTags(tags: Record<string, string>): Record<string, string> {
  const entries = Object.entries(tags);
  if (entries.length > limits.MAX_TAGS) throw sqsErrors.invalidParameterValue("Too many tags added for queue.");
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > limits.MAX_TAG_KEY_LENGTH)
      throw sqsErrors.invalidParameterValue(`Tag key must be between 1 and ${limits.MAX_TAG_KEY_LENGTH} characters.`);
    if (String(value).length > limits.MAX_TAG_VALUE_LENGTH)
      throw sqsErrors.invalidParameterValue(`Tag value must be at most ${limits.MAX_TAG_VALUE_LENGTH} characters.`);
  }
  return { ...tags };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
