/**
 * The CloudWatch Logs subset: what Lambda writes (groups created on first write, one stream per
 * execution environment) and what `wsq logs` / @aws-sdk/client-cloudwatch-logs read back.
 * Service logic only; json-protocol.ts is the wire.
 */
import type { LocalContext } from "../context.js";
import type { LogsApi } from "../contracts.js";
import { AwsServiceError } from "../aws-error.js";
import { withoutFsync } from "../server/database.js";
import * as limits from "./limits.js";
import { LogsStore, type EventRow, type PendingEvent } from "./store.js";
import { matchesFilterPattern, parseFilterPattern, UnsupportedFilterPattern } from "./filter-pattern.js";

export interface OutputLogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
}

export interface FilteredLogEvent extends OutputLogEvent {
  logStreamName: string;
  eventId: string;
}

function invalidParameter(message: string): AwsServiceError {
  return new AwsServiceError("InvalidParameterException", message);
}

function groupNotFound(): AwsServiceError {
  return new AwsServiceError("ResourceNotFoundException", "The specified log group does not exist.");
}

function checkLimit(value: number | undefined, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw invalidParameter(
      `1 validation error detected: Value '${value}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${max}`,
    );
  return value;
}

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function decodeToken<T>(token: string | undefined): T | undefined {
  if (token === undefined || token === null || token === "") return undefined;
  try {
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as T;
  } catch {
    throw invalidParameter("The specified nextToken is invalid.");
  }
}

export class LogsService implements LogsApi {
  private readonly store: LogsStore;
  private pending: PendingEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly ctx: LocalContext) {
    this.store = new LogsStore(ctx.db);
    this.sweepTimer = setInterval(() => this.expire(), limits.RETENTION_SWEEP_MS);
    this.sweepTimer.unref();
  }

  arn(group: string): string {
    return `arn:aws:logs:${this.ctx.region}:${this.ctx.accountId}:log-group:${group}`;
  }

  // ---------------------------------------------------------------- LogsApi
  async createLogGroup(name: string, retentionInDays?: number): Promise<void> {
    this.checkGroupName(name);
    if (retentionInDays !== undefined) this.checkRetention(retentionInDays);
    this.flush();
    if (!this.store.insertGroup(name, this.ctx.clock.now(), retentionInDays ?? null)) {
      throw new AwsServiceError("ResourceAlreadyExistsException", "The specified log group already exists");
    }
  }

  async deleteLogGroup(name: string): Promise<void> {
    this.flush();
    if (!this.store.deleteGroup(name)) throw groupNotFound();
  }

  putLogEvents(group: string, stream: string, events: { timestamp: number; message: string }[]): void {
    if (this.closed) return;
    for (const event of events) {
      const message =
        Buffer.byteLength(event.message) > limits.MAX_EVENT_BYTES
          ? Buffer.from(event.message).subarray(0, limits.MAX_EVENT_BYTES).toString("utf8")
          : event.message;
      this.pending.push({ group, stream, timestamp: event.timestamp, message });
    }
    this.flushTimer ??= setTimeout(() => this.flush(), limits.FLUSH_INTERVAL_MS);
  }

  // ---------------------------------------------------------------- the rest of the JSON API
  async createLogStream(group: string, stream: string): Promise<void> {
    this.flush();
    if (this.store.group(group) === undefined) throw groupNotFound();
    if (!stream || stream.length > limits.MAX_LOG_STREAM_NAME_LENGTH || /[:*]/.test(stream)) throw invalidParameter("Invalid log stream name.");
    if (!this.store.insertStream(group, stream, this.ctx.clock.now())) {
      throw new AwsServiceError("ResourceAlreadyExistsException", "The specified log stream already exists");
    }
  }

  async putRetentionPolicy(group: string, days: number): Promise<void> {
    this.checkRetention(days);
    this.flush();
    if (this.store.group(group) === undefined) throw groupNotFound();
    this.store.setRetention(group, days);
  }

  async deleteRetentionPolicy(group: string): Promise<void> {
    this.flush();
    if (this.store.group(group) === undefined) throw groupNotFound();
    this.store.setRetention(group, null);
  }

  async describeLogGroups(input: { logGroupNamePrefix?: string; limit?: number; nextToken?: string }) {
    this.flush();
    const limit = checkLimit(input.limit, limits.MAX_DESCRIBE_PAGE, limits.MAX_DESCRIBE_PAGE);
    const after = decodeToken<{ after: string }>(input.nextToken)?.after ?? "";
    const rows = this.store.groups(input.logGroupNamePrefix ?? "", after, limit + 1);
    const page = rows.slice(0, limit);
    return {
      logGroups: page.map((row) => ({
        logGroupName: row.name,
        creationTime: row.created_at,
        ...(row.retention_days !== null ? { retentionInDays: row.retention_days } : {}),
        metricFilterCount: 0,
        arn: `${this.arn(row.name)}:*`,
        logGroupArn: this.arn(row.name),
        storedBytes: this.store.streams(row.name).reduce((sum, s) => sum + s.stored_bytes, 0),
        logGroupClass: "STANDARD",
      })),
      ...(rows.length > limit ? { nextToken: encodeToken({ after: page[page.length - 1]!.name }) } : {}),
    };
  }

  async describeLogStreams(input: {
    logGroupName?: string;
    logGroupIdentifier?: string;
    logStreamNamePrefix?: string;
    orderBy?: string;
    descending?: boolean;
    limit?: number;
    nextToken?: string;
  }) {
    this.flush();
    const group = this.groupName(input);
    if (this.store.group(group) === undefined) throw groupNotFound();
    const orderBy = input.orderBy ?? "LogStreamName";
    if (orderBy !== "LogStreamName" && orderBy !== "LastEventTime") throw invalidParameter("orderBy must be LogStreamName or LastEventTime.");
    if (orderBy === "LastEventTime" && input.logStreamNamePrefix) throw invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
    const limit = checkLimit(input.limit, limits.MAX_DESCRIBE_PAGE, limits.MAX_DESCRIBE_PAGE);
    const offset = decodeToken<{ offset: number }>(input.nextToken)?.offset ?? 0;
    let streams = this.store.streams(group).filter((s) => s.name.startsWith(input.logStreamNamePrefix ?? ""));
    streams.sort((a, b) => (orderBy === "LogStreamName" ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : (a.last_event_at ?? 0) - (b.last_event_at ?? 0)));
    if (input.descending) streams = streams.reverse();
    const page = streams.slice(offset, offset + limit);
    return {
      logStreams: page.map((s) => ({
        logStreamName: s.name,
        creationTime: s.created_at,
        ...(s.first_event_at !== null ? { firstEventTimestamp: s.first_event_at } : {}),
        ...(s.last_event_at !== null ? { lastEventTimestamp: s.last_event_at } : {}),
        ...(s.last_ingestion_at !== null ? { lastIngestionTime: s.last_ingestion_at } : {}),
        arn: `${this.arn(group)}:log-stream:${s.name}`,
        storedBytes: 0,
      })),
      ...(offset + limit < streams.length ? { nextToken: encodeToken({ offset: offset + limit }) } : {}),
    };
  }

  async getLogEvents(input: {
    logGroupName?: string;
    logGroupIdentifier?: string;
    logStreamName?: string;
    startTime?: number;
    endTime?: number;
    nextToken?: string;
    limit?: number;
    startFromHead?: boolean;
  }) {
    this.flush();
    const group = this.groupName(input);
    if (this.store.group(group) === undefined) throw groupNotFound();
    const stream = input.logStreamName ?? "";
    if (this.store.stream(group, stream) === undefined) throw new AwsServiceError("ResourceNotFoundException", "The specified log stream does not exist.");
    const limit = checkLimit(input.limit, limits.MAX_EVENTS_PER_PAGE, limits.MAX_EVENTS_PER_PAGE);
    const token = input.nextToken;
    let rows: EventRow[];
    if (token !== undefined && token !== null && token !== "") {
      const match = /^([fb])\/(\d+)$/.exec(token);
      if (!match) throw invalidParameter("The specified nextToken is invalid.");
      const id = Number(match[2]);
      rows =
        match[1] === "f"
          ? this.store.streamEvents({ group, stream, start: input.startTime, end: input.endTime, afterId: id, limit, fromHead: true })
          : this.store.streamEvents({ group, stream, start: input.startTime, end: input.endTime, beforeId: id, limit, fromHead: false });
    } else {
      rows = this.store.streamEvents({ group, stream, start: input.startTime, end: input.endTime, limit, fromHead: input.startFromHead === true });
    }
    // AWS hands back the token it was given when a page is empty: a follower keeps polling with it.
    const first = rows[0]?.id;
    const last = rows[rows.length - 1]?.id;
    const fallback = token && /^[fb]\/\d+$/.test(token) ? Number(token.slice(2)) : 0;
    return {
      events: rows.map((row) => ({ timestamp: row.timestamp, message: row.message, ingestionTime: row.ingestion_time })),
      nextForwardToken: `f/${last ?? fallback}`,
      nextBackwardToken: `b/${first ?? fallback}`,
    };
  }

  async filterLogEvents(input: {
    logGroupName?: string;
    logGroupIdentifier?: string;
    logStreamNames?: string[];
    logStreamNamePrefix?: string;
    startTime?: number;
    endTime?: number;
    filterPattern?: string;
    nextToken?: string;
    limit?: number;
  }) {
    this.flush();
    const group = this.groupName(input);
    if (this.store.group(group) === undefined) throw groupNotFound();
    if (input.logStreamNames && input.logStreamNamePrefix) throw invalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive.");
    const limit = checkLimit(input.limit, limits.MAX_EVENTS_PER_PAGE, limits.MAX_EVENTS_PER_PAGE);
    let pattern;
    try {
      pattern = parseFilterPattern(input.filterPattern);
    } catch (error) {
      if (error instanceof UnsupportedFilterPattern) throw invalidParameter(error.message);
      throw error;
    }
    let streams = input.logStreamNames;
    if (input.logStreamNamePrefix) {
      streams = this.store
        .streams(group)
        .map((s) => s.name)
        .filter((name) => name.startsWith(input.logStreamNamePrefix!));
      if (streams.length === 0) return { events: [], searchedLogStreams: [] };
    }
    let cursor = decodeToken<{ timestamp: number; id: number }>(input.nextToken);
    const events: FilteredLogEvent[] = [];
    // Scan in pages so that a selective pattern over a large group does not load it all at once.
    for (;;) {
      const rows = this.store.eventsByTime({ group, streams, start: input.startTime, end: input.endTime, after: cursor, limit: 1000 });
      for (const row of rows) {
        cursor = { timestamp: row.timestamp, id: row.id };
        if (!matchesFilterPattern(pattern, row.message)) continue;
        events.push({
          logStreamName: row.stream_name,
          timestamp: row.timestamp,
          message: row.message,
          ingestionTime: row.ingestion_time,
          eventId: String(row.id).padStart(20, "0"),
        });
        if (events.length >= limit) break;
      }
      if (events.length >= limit || rows.length < 1000) break;
    }
    const more =
      events.length >= limit &&
      cursor !== undefined &&
      this.store.eventsByTime({ group, streams, start: input.startTime, end: input.endTime, after: cursor, limit: 1 }).length > 0;
    return { events, searchedLogStreams: [], ...(more ? { nextToken: encodeToken(cursor) } : {}) };
  }

  /** Writes what putLogEvents buffered. Reads call it first, so a reader sees every line written before it asked. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      // Without an fsync: nobody waits for this write (PutLogEvents and the Lambda log lines are
      // answered before it), so a flush blocking the event loop for a disk flush ten times a
      // second during a burst bought nothing. It survives kill -9; a power cut may lose it.
      withoutFsync(this.ctx.db, () => this.store.append(batch, this.ctx.clock.now(), limits.MAX_EVENTS_PER_GROUP));
    } catch (error) {
      this.ctx.log.log("error", "could not write log events", { error: String(error), events: batch.length });
    }
  }

  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    clearInterval(this.sweepTimer);
  }

  private expire(): void {
    this.flush();
    this.store.expire(this.ctx.clock.now(), limits.DAY_MS);
  }

  private groupName(input: { logGroupName?: string; logGroupIdentifier?: string }): string {
    const identifier = input.logGroupIdentifier;
    if (identifier && input.logGroupName) throw invalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
    if (identifier) {
      const match = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:(.+?)(:\*)?$/.exec(identifier);
      return match ? match[1]! : identifier;
    }
    if (!input.logGroupName) throw invalidParameter("Either logGroupName or logGroupIdentifier must be given.");
    return input.logGroupName;
  }

  private checkGroupName(name: string): void {
    if (!name || name.length > limits.MAX_LOG_GROUP_NAME_LENGTH || !limits.LOG_GROUP_NAME.test(name)) {
      throw invalidParameter(
        `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`,
      );
    }
  }

  private checkRetention(days: number): void {
    if (!limits.RETENTION_DAYS.has(days)) {
      throw invalidParameter(
        `1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${[...limits.RETENTION_DAYS].join(", ")}]`,
      );
    }
  }
}
