/**
 * SQLite storage of the logs service. Events are appended in memory and written in one
 * transaction per flush: Lambda emits three lines per invocation at least (START, END, REPORT),
 * and a commit per line on a synchronous=FULL database would cost an fsync each.
 */
import type Database from "better-sqlite3";

export interface GroupRow {
  name: string;
  created_at: number;
  retention_days: number | null;
}

export interface StreamRow {
  group_name: string;
  name: string;
  created_at: number;
  first_event_at: number | null;
  last_event_at: number | null;
  last_ingestion_at: number | null;
  stored_bytes: number;
}

export interface EventRow {
  id: number;
  group_name: string;
  stream_name: string;
  timestamp: number;
  ingestion_time: number;
  message: string;
}

export interface PendingEvent {
  group: string;
  stream: string;
  timestamp: number;
  message: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS logs_groups (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  retention_days INTEGER
);
CREATE TABLE IF NOT EXISTS logs_streams (
  group_name TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  first_event_at INTEGER,
  last_event_at INTEGER,
  last_ingestion_at INTEGER,
  stored_bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (group_name, name)
);
CREATE TABLE IF NOT EXISTS logs_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  group_name TEXT NOT NULL,
  stream_name TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  ingestion_time INTEGER NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_events_by_time ON logs_events (group_name, timestamp, id);
CREATE INDEX IF NOT EXISTS logs_events_by_stream ON logs_events (group_name, stream_name, id);
`;

export class LogsStore {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.statements = {
      group: db.prepare<[string], GroupRow>("SELECT * FROM logs_groups WHERE name = ?"),
      insertGroup: db.prepare("INSERT OR IGNORE INTO logs_groups (name, created_at, retention_days) VALUES (?, ?, ?)"),
      deleteGroup: db.prepare("DELETE FROM logs_groups WHERE name = ?"),
      deleteGroupStreams: db.prepare("DELETE FROM logs_streams WHERE group_name = ?"),
      deleteGroupEvents: db.prepare("DELETE FROM logs_events WHERE group_name = ?"),
      setRetention: db.prepare("UPDATE logs_groups SET retention_days = ? WHERE name = ?"),
      groups: db.prepare<[string, string, number], GroupRow>("SELECT * FROM logs_groups WHERE name >= ? AND name > ? ORDER BY name LIMIT ?"),
      stream: db.prepare<[string, string], StreamRow>("SELECT * FROM logs_streams WHERE group_name = ? AND name = ?"),
      insertStream: db.prepare("INSERT OR IGNORE INTO logs_streams (group_name, name, created_at) VALUES (?, ?, ?)"),
      streams: db.prepare<[string], StreamRow>("SELECT * FROM logs_streams WHERE group_name = ?"),
      touchStream: db.prepare(
        `UPDATE logs_streams SET first_event_at = MIN(COALESCE(first_event_at, ?), ?), last_event_at = MAX(COALESCE(last_event_at, ?), ?),
         last_ingestion_at = ?, stored_bytes = stored_bytes + ? WHERE group_name = ? AND name = ?`,
      ),
      insertEvent: db.prepare("INSERT INTO logs_events (group_name, stream_name, timestamp, ingestion_time, message) VALUES (?, ?, ?, ?, ?)"),
      countEvents: db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM logs_events WHERE group_name = ?"),
      trimEvents: db.prepare("DELETE FROM logs_events WHERE id IN (SELECT id FROM logs_events WHERE group_name = ? ORDER BY timestamp, id LIMIT ?)"),
      expire: db.prepare("DELETE FROM logs_events WHERE group_name = ? AND timestamp < ?"),
      groupsWithRetention: db.prepare<[], GroupRow>("SELECT * FROM logs_groups WHERE retention_days IS NOT NULL"),
    };
  }

  group(name: string): GroupRow | undefined {
    return this.statements.group.get(name);
  }

  insertGroup(name: string, now: number, retentionDays: number | null): boolean {
    return this.statements.insertGroup.run(name, now, retentionDays).changes > 0;
  }

  deleteGroup(name: string): boolean {
    return this.db.transaction(() => {
      this.statements.deleteGroupEvents.run(name);
      this.statements.deleteGroupStreams.run(name);
      return this.statements.deleteGroup.run(name).changes > 0;
    })();
  }

  setRetention(name: string, days: number | null): void {
    this.statements.setRetention.run(days, name);
  }

  /** Groups named `prefix…`, after `after` in name order. */
  groups(prefix: string, after: string, limit: number): GroupRow[] {
    const rows = this.statements.groups.all(prefix, after, limit + 1000);
    return rows.filter((row) => row.name.startsWith(prefix)).slice(0, limit);
  }

  stream(group: string, name: string): StreamRow | undefined {
    return this.statements.stream.get(group, name);
  }

  insertStream(group: string, name: string, now: number): boolean {
    return this.statements.insertStream.run(group, name, now).changes > 0;
  }

  streams(group: string): StreamRow[] {
    return this.statements.streams.all(group);
  }

  /** Writes buffered events in one transaction, creating groups and streams on the way. */
  append(events: PendingEvent[], now: number, maxPerGroup: number): void {
    if (events.length === 0) return;
    this.db.transaction(() => {
      const touched = new Map<string, number>();
      for (const event of events) {
        this.statements.insertGroup.run(event.group, now, null);
        this.statements.insertStream.run(event.group, event.stream, now);
        this.statements.insertEvent.run(event.group, event.stream, event.timestamp, now, event.message);
        this.statements.touchStream.run(
          event.timestamp,
          event.timestamp,
          event.timestamp,
          event.timestamp,
          now,
          Buffer.byteLength(event.message),
          event.group,
          event.stream,
        );
        touched.set(event.group, (touched.get(event.group) ?? 0) + 1);
      }
      for (const group of touched.keys()) {
        const count = this.statements.countEvents.get(group)?.n ?? 0;
        if (count > maxPerGroup) this.statements.trimEvents.run(group, count - maxPerGroup);
      }
    })();
  }

  expire(now: number, dayMs: number): void {
    for (const group of this.statements.groupsWithRetention.all()) {
      this.statements.expire.run(group.name, now - (group.retention_days ?? 0) * dayMs);
    }
  }

  /** Events of a group in (timestamp, id) order, after a cursor, optionally restricted to streams and a time range. */
  eventsByTime(query: {
    group: string;
    streams?: string[];
    start?: number;
    end?: number;
    after?: { timestamp: number; id: number };
    limit: number;
  }): EventRow[] {
    const where = ["group_name = ?"];
    const params: (string | number)[] = [query.group];
    if (query.streams && query.streams.length > 0) {
      where.push(`stream_name IN (${query.streams.map(() => "?").join(",")})`);
      params.push(...query.streams);
    }
    if (query.start !== undefined) {
      where.push("timestamp >= ?");
      params.push(query.start);
    }
    if (query.end !== undefined) {
      where.push("timestamp <= ?");
      params.push(query.end);
    }
    if (query.after) {
      where.push("(timestamp > ? OR (timestamp = ? AND id > ?))");
      params.push(query.after.timestamp, query.after.timestamp, query.after.id);
    }
    params.push(query.limit);
    return this.db
      .prepare<(string | number)[], EventRow>(`SELECT * FROM logs_events WHERE ${where.join(" AND ")} ORDER BY timestamp, id LIMIT ?`)
      .all(...params);
  }

  /** Events of one stream in ingestion order, forwards from after `afterId` or backwards from before `beforeId`. */
  streamEvents(query: {
    group: string;
    stream: string;
    start?: number;
    end?: number;
    afterId?: number;
    beforeId?: number;
    limit: number;
    fromHead: boolean;
  }): EventRow[] {
    const where = ["group_name = ?", "stream_name = ?"];
    const params: (string | number)[] = [query.group, query.stream];
    if (query.start !== undefined) {
      where.push("timestamp >= ?");
      params.push(query.start);
    }
    if (query.end !== undefined) {
      where.push("timestamp < ?");
      params.push(query.end);
    }
    if (query.afterId !== undefined) {
      where.push("id > ?");
      params.push(query.afterId);
    }
    if (query.beforeId !== undefined) {
      where.push("id < ?");
      params.push(query.beforeId);
    }
    params.push(query.limit);
    const order = query.fromHead ? "ASC" : "DESC";
    const rows = this.db
      .prepare<(string | number)[], EventRow>(`SELECT * FROM logs_events WHERE ${where.join(" AND ")} ORDER BY id ${order} LIMIT ?`)
      .all(...params);
    return query.fromHead ? rows : rows.reverse();
  }
}
