/**
 * SQLite storage of the SQS service. Messages live only on disk (never mirrored in memory), so a
 * backlog of 100,000 messages costs pages, not heap. Every receive path is an index range scan:
 *   - standard: (queue, visible_at) — the visible messages, oldest deadline first;
 *   - FIFO: sqs_fifo_groups (queue, head_seq) lists each group once by its oldest message, and
 *     (queue, group_id, seq) walks one group in order; in-flight messages come from a partial index.
 * Deadlines (visible_at, expires_at) are absolute epoch milliseconds, so they survive a restart.
 */
import type Database from "better-sqlite3";

export interface QueueRow {
  name: string;
  fifo: number;
  attributes: string;
  tags: string;
  created_at: number;
  modified_at: number;
  purged_at: number | null;
}

export interface MessageRow {
  seq: number;
  queue: string;
  message_id: string;
  body: string;
  attributes: string | null;
  system_attributes: string | null;
  md5_body: string;
  md5_attributes: string | null;
  group_id: string | null;
  dedup_id: string | null;
  sender_id: string;
  sent_at: number;
  visible_at: number;
  expires_at: number;
  receive_count: number;
  first_receive_at: number | null;
  received_at: number | null;
  receipt_token: string | null;
  dlq_source_arn: string | null;
}

export type NewMessage = Omit<MessageRow, "seq" | "receive_count" | "first_receive_at" | "received_at" | "receipt_token"> & {
  receive_count?: number;
  first_receive_at?: number | null;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sqs_queues (
  name TEXT PRIMARY KEY,
  fifo INTEGER NOT NULL,
  attributes TEXT NOT NULL,
  tags TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  modified_at INTEGER NOT NULL,
  purged_at INTEGER
);
CREATE TABLE IF NOT EXISTS sqs_deleted_queues (
  name TEXT PRIMARY KEY,
  deleted_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sqs_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  message_id TEXT NOT NULL,
  body TEXT NOT NULL,
  attributes TEXT,
  system_attributes TEXT,
  md5_body TEXT NOT NULL,
  md5_attributes TEXT,
  group_id TEXT,
  dedup_id TEXT,
  sender_id TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  first_receive_at INTEGER,
  received_at INTEGER,
  receipt_token TEXT,
  dlq_source_arn TEXT
);
CREATE INDEX IF NOT EXISTS sqs_messages_visible ON sqs_messages (queue, visible_at);
CREATE INDEX IF NOT EXISTS sqs_messages_group ON sqs_messages (queue, group_id, seq);
CREATE INDEX IF NOT EXISTS sqs_messages_expiry ON sqs_messages (expires_at);
CREATE INDEX IF NOT EXISTS sqs_messages_received ON sqs_messages (queue, visible_at) WHERE receive_count > 0;
CREATE TABLE IF NOT EXISTS sqs_fifo_groups (
  queue TEXT NOT NULL,
  group_id TEXT NOT NULL,
  head_seq INTEGER NOT NULL,
  PRIMARY KEY (queue, group_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sqs_fifo_groups_head ON sqs_fifo_groups (queue, head_seq);
CREATE TABLE IF NOT EXISTS sqs_dedup (
  queue TEXT NOT NULL,
  scope TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (queue, scope, dedup_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sqs_dedup_expiry ON sqs_dedup (expires_at);
CREATE TABLE IF NOT EXISTS sqs_receive_attempts (
  queue TEXT NOT NULL,
  attempt_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  entries TEXT NOT NULL,
  PRIMARY KEY (queue, attempt_id)
) WITHOUT ROWID;
`;

/** Prepared statements over the sqs_ tables; no rules live here. */
export class SqsStore {
  private readonly s;

  constructor(readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.s = {
      allQueues: db.prepare<[], QueueRow>("SELECT * FROM sqs_queues ORDER BY name"),
      upsertQueue: db.prepare(
        "INSERT INTO sqs_queues (name, fifo, attributes, tags, created_at, modified_at, purged_at) VALUES (@name, @fifo, @attributes, @tags, @created_at, @modified_at, @purged_at) " +
          "ON CONFLICT(name) DO UPDATE SET attributes = excluded.attributes, tags = excluded.tags, modified_at = excluded.modified_at, purged_at = excluded.purged_at",
      ),
      deleteQueue: db.prepare("DELETE FROM sqs_queues WHERE name = ?"),
      deletedAt: db.prepare<[string], { deleted_at: number }>("SELECT deleted_at FROM sqs_deleted_queues WHERE name = ?"),
      markDeleted: db.prepare(
        "INSERT INTO sqs_deleted_queues (name, deleted_at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET deleted_at = excluded.deleted_at",
      ),
      insertMessage: db.prepare(
        "INSERT INTO sqs_messages (queue, message_id, body, attributes, system_attributes, md5_body, md5_attributes, group_id, dedup_id, sender_id, sent_at, visible_at, expires_at, receive_count, first_receive_at, dlq_source_arn) " +
          "VALUES (@queue, @message_id, @body, @attributes, @system_attributes, @md5_body, @md5_attributes, @group_id, @dedup_id, @sender_id, @sent_at, @visible_at, @expires_at, @receive_count, @first_receive_at, @dlq_source_arn)",
      ),
      message: db.prepare<[number], MessageRow>("SELECT * FROM sqs_messages WHERE seq = ?"),
      deleteMessage: db.prepare("DELETE FROM sqs_messages WHERE seq = ?"),
      markReceived: db.prepare(
        "UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1, first_receive_at = COALESCE(first_receive_at, ?), received_at = ?, receipt_token = ? WHERE seq = ?",
      ),
      setVisibleAt: db.prepare("UPDATE sqs_messages SET visible_at = ? WHERE seq = ?"),
      visibleStandard: db.prepare<[string, number, number, number], MessageRow>(
        "SELECT * FROM sqs_messages WHERE queue = ? AND visible_at <= ? AND expires_at > ? ORDER BY visible_at LIMIT ?",
      ),
      inflightGroups: db.prepare<[string, number], { group_id: string | null }>(
        "SELECT DISTINCT group_id FROM sqs_messages WHERE queue = ? AND receive_count > 0 AND visible_at > ?",
      ),
      groupsPage: db.prepare<[string, number, number], { group_id: string; head_seq: number }>(
        "SELECT group_id, head_seq FROM sqs_fifo_groups WHERE queue = ? AND head_seq > ? ORDER BY head_seq LIMIT ?",
      ),
      groupMessages: db.prepare<[string, string, number], MessageRow>("SELECT * FROM sqs_messages WHERE queue = ? AND group_id = ? ORDER BY seq LIMIT ?"),
      groupHead: db.prepare<[string, string], { seq: number }>("SELECT seq FROM sqs_messages WHERE queue = ? AND group_id = ? ORDER BY seq LIMIT 1"),
      addGroup: db.prepare("INSERT OR IGNORE INTO sqs_fifo_groups (queue, group_id, head_seq) VALUES (?, ?, ?)"),
      setGroupHead: db.prepare("UPDATE sqs_fifo_groups SET head_seq = ? WHERE queue = ? AND group_id = ?"),
      dropGroup: db.prepare("DELETE FROM sqs_fifo_groups WHERE queue = ? AND group_id = ?"),
      dropGroups: db.prepare("DELETE FROM sqs_fifo_groups WHERE queue = ?"),
      purgeMessages: db.prepare("DELETE FROM sqs_messages WHERE queue = ?"),
      dedup: db.prepare<[string, string, string, number], { message_id: string; seq: number }>(
        "SELECT message_id, seq FROM sqs_dedup WHERE queue = ? AND scope = ? AND dedup_id = ? AND expires_at > ?",
      ),
      putDedup: db.prepare(
        "INSERT INTO sqs_dedup (queue, scope, dedup_id, message_id, seq, expires_at) VALUES (?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT(queue, scope, dedup_id) DO UPDATE SET message_id = excluded.message_id, seq = excluded.seq, expires_at = excluded.expires_at",
      ),
      dropDedup: db.prepare("DELETE FROM sqs_dedup WHERE queue = ?"),
      expiredDedup: db.prepare("DELETE FROM sqs_dedup WHERE expires_at <= ?"),
      countVisible: db.prepare<[string, number, number], { n: number }>(
        "SELECT COUNT(*) AS n FROM sqs_messages WHERE queue = ? AND visible_at <= ? AND expires_at > ?",
      ),
      countInflight: db.prepare<[string, number, number], { n: number }>(
        "SELECT COUNT(*) AS n FROM sqs_messages WHERE queue = ? AND receive_count > 0 AND visible_at > ? AND expires_at > ?",
      ),
      countLater: db.prepare<[string, number, number], { n: number }>(
        "SELECT COUNT(*) AS n FROM sqs_messages WHERE queue = ? AND visible_at > ? AND expires_at > ?",
      ),
      nextVisibleAt: db.prepare<[string, number], { t: number | null }>("SELECT MIN(visible_at) AS t FROM sqs_messages WHERE queue = ? AND visible_at > ?"),
      nextExpiry: db.prepare<[], { t: number | null }>("SELECT MIN(expires_at) AS t FROM sqs_messages"),
      nextDedupExpiry: db.prepare<[], { t: number | null }>("SELECT MIN(expires_at) AS t FROM sqs_dedup"),
      expiredMessages: db.prepare<[number, number], { seq: number; queue: string; group_id: string | null }>(
        "SELECT seq, queue, group_id FROM sqs_messages WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
      ),
      attempt: db.prepare<[string, string], { created_at: number; entries: string }>(
        "SELECT created_at, entries FROM sqs_receive_attempts WHERE queue = ? AND attempt_id = ?",
      ),
      putAttempt: db.prepare(
        "INSERT INTO sqs_receive_attempts (queue, attempt_id, created_at, entries) VALUES (?, ?, ?, ?) ON CONFLICT(queue, attempt_id) DO UPDATE SET created_at = excluded.created_at, entries = excluded.entries",
      ),
      dropAttempts: db.prepare("DELETE FROM sqs_receive_attempts WHERE queue = ?"),
      expiredAttempts: db.prepare("DELETE FROM sqs_receive_attempts WHERE created_at <= ?"),
    };
  }

  allQueues(): QueueRow[] {
    return this.s.allQueues.all();
  }
  saveQueue(row: QueueRow): void {
    this.s.upsertQueue.run(row);
  }
  deleteQueue(name: string, now: number): void {
    this.s.purgeMessages.run(name);
    this.s.dropGroups.run(name);
    this.s.dropDedup.run(name);
    this.s.dropAttempts.run(name);
    this.s.deleteQueue.run(name);
    this.s.markDeleted.run(name, now);
  }
  deletedAt(name: string): number | undefined {
    return this.s.deletedAt.get(name)?.deleted_at;
  }

  insertMessage(message: NewMessage): number {
    const row = { receive_count: 0, first_receive_at: null, ...message };
    const seq = Number(this.s.insertMessage.run(row).lastInsertRowid);
    if (row.group_id !== null && row.group_id !== undefined) this.s.addGroup.run(row.queue, row.group_id, seq);
    return seq;
  }
  message(seq: number): MessageRow | undefined {
    return this.s.message.get(seq);
  }
  /** Deletes a message and, for a FIFO group, moves the group's head to its next message. */
  deleteMessage(row: Pick<MessageRow, "seq" | "queue" | "group_id">, fifo: boolean): void {
    this.s.deleteMessage.run(row.seq);
    if (fifo && row.group_id !== null) this.refreshGroupHead(row.queue, row.group_id);
  }
  refreshGroupHead(queue: string, groupId: string): void {
    const head = this.s.groupHead.get(queue, groupId);
    if (head === undefined) this.s.dropGroup.run(queue, groupId);
    else this.s.setGroupHead.run(head.seq, queue, groupId);
  }
  markReceived(seq: number, visibleAt: number, now: number, token: string): void {
    this.s.markReceived.run(visibleAt, now, now, token, seq);
  }
  setVisibleAt(seq: number, visibleAt: number): void {
    this.s.setVisibleAt.run(visibleAt, seq);
  }
  visibleStandard(queue: string, now: number, limit: number): MessageRow[] {
    return this.s.visibleStandard.all(queue, now, now, limit);
  }
  inflightGroups(queue: string, now: number): Set<string | null> {
    return new Set(this.s.inflightGroups.all(queue, now).map((r) => r.group_id));
  }
  /** FIFO groups by their oldest message, one page after `afterHead` (keyset pagination). */
  groupsPage(queue: string, afterHead: number, limit: number): { group_id: string; head_seq: number }[] {
    return this.s.groupsPage.all(queue, afterHead, limit);
  }
  groupMessages(queue: string, groupId: string, limit: number): MessageRow[] {
    return this.s.groupMessages.all(queue, groupId, limit);
  }
  purge(queue: string): void {
    this.s.purgeMessages.run(queue);
    this.s.dropGroups.run(queue);
  }
  findDedup(queue: string, scope: string, dedupId: string, now: number): { message_id: string; seq: number } | undefined {
    return this.s.dedup.get(queue, scope, dedupId, now);
  }
  putDedup(queue: string, scope: string, dedupId: string, messageId: string, seq: number, expiresAt: number): void {
    this.s.putDedup.run(queue, scope, dedupId, messageId, seq, expiresAt);
  }
  counts(queue: string, now: number): { visible: number; inflight: number; delayed: number } {
    // Messages past retention count as gone even before the sweeper removes them.
    const visible = this.s.countVisible.get(queue, now, now)?.n ?? 0;
    const inflight = this.s.countInflight.get(queue, now, now)?.n ?? 0;
    const later = this.s.countLater.get(queue, now, now)?.n ?? 0;
    return { visible, inflight, delayed: later - inflight };
  }
  nextVisibleAt(queue: string, now: number): number | undefined {
    return this.s.nextVisibleAt.get(queue, now)?.t ?? undefined;
  }
  /** Earliest retention or dedup deadline: when the sweeper next has work. */
  nextHousekeeping(): number | undefined {
    const a = this.s.nextExpiry.get()?.t ?? undefined;
    const b = this.s.nextDedupExpiry.get()?.t ?? undefined;
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }
  /** Removes messages past their retention period and stale dedup/attempt records. */
  sweep(now: number, fifoQueues: ReadonlySet<string>): number {
    let removed = 0;
    for (;;) {
      const expired = this.s.expiredMessages.all(now, 1000);
      if (expired.length === 0) break;
      const groups = new Set<string>();
      for (const row of expired) {
        this.s.deleteMessage.run(row.seq);
        if (row.group_id !== null && fifoQueues.has(row.queue)) groups.add(JSON.stringify([row.queue, row.group_id]));
      }
      for (const key of groups) {
        const [queue, group] = JSON.parse(key) as [string, string];
        this.refreshGroupHead(queue, group);
      }
      removed += expired.length;
    }
    this.s.expiredDedup.run(now);
    return removed;
  }
  expireAttempts(before: number): void {
    this.s.expiredAttempts.run(before);
  }
  attempt(queue: string, attemptId: string): { created_at: number; entries: string } | undefined {
    return this.s.attempt.get(queue, attemptId);
  }
  putAttempt(queue: string, attemptId: string, createdAt: number, entries: string): void {
    this.s.putAttempt.run(queue, attemptId, createdAt, entries);
  }
}
