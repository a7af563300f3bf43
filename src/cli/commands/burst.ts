import type { Command } from "commander";
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import type { CommandContext } from "../program.js";
import type { BurstCommandFlags } from "../actions/burst.js";

export function registerBurstCommand(program: Command, context: CommandContext): void {
  program
    .command("burst")
    .description("fire a burst of messages and watch the queue absorb it: latency, queue depth, loss, throttling, duplicates and order checked")
    .option("-n, --count <n>", "messages to send", "1000")
    .option("-c, --connections <n>", "WebSocket connections to send them over", "10")
    .option(
      "-r, --rate <n|auto|max>",
      "messages per second (open model); auto: paced under the queue's FIFO quota (see below); max: as fast as the sockets accept",
      "auto",
    )
    .option("-s, --size <bytes>", "pad each message frame to this many bytes (at most 32768; 0: no padding, about 130 bytes)", "0")
    .option("-g, --groups <n>", "message groups to spread the messages over (default: one per connection)")
    .option("--stack-name <name>", `the stack whose WebSocketUrl, QueueUrl and DeadLetterQueueUrl to use (default "${DEFAULT_STACK_NAME}")`)
    .option("--url <url>", "send to this ws:// or wss:// URL instead of looking up a stack")
    .option("--queue-url <url>", "with --url: the queue whose depth to watch")
    .option("--dlq-url <url>", "with --url: the dead-letter queue to look for lost messages in")
    .option("--target <target>", "local (the embedded local cloud, default) or aws")
    .option("--region <region>", "AWS Region of the stack")
    .option("--profile <profile>", "AWS profile (aws target)")
    .option("--endpoint-url <url>", "AWS endpoint for CloudFormation and SQS calls")
    .option("--json", "print only the whole result as one JSON document on stdout")
    .option("--report <file.html>", "also write a self-contained HTML report (timelines, latency histogram, the consumer's side)")
    .option("--events <file.ndjson>", "also write every send, result and queue sample as NDJSON (replayable)")
    .option("--replay <file.ndjson>", "send nothing: re-render the summary, --json or --report from an --events file")
    .option("--work-ms <ms>", "consumer directive: every message takes this long in the built-in handler (0 - 900000)")
    .option("--fail-rate <p>", "consumer directive: this fraction of the messages (0 - 1, drawn with --seed) fails on every delivery, so it ends in the DLQ")
    .option("--fail-once-rate <p>", "consumer directive: this fraction fails on its first delivery only, and succeeds on the retry")
    .option("--seed <n>", "seed of the failure draw, to repeat a run (0 - 4294967295; default: random, printed)")
    .option(
      "-t, --timeout <seconds>",
      "stop waiting for results after this long, from the first send (default 60, longer when the directives predict a longer drain)",
    )
    .option("--poll-interval <ms>", "how often to read the queue's depth", "250")
    .option("--strict-send-order", "also fail (exit 3) when messages reach the queue in another order than sent (information otherwise)")
    .option("--connect-timeout <seconds>", "give up opening a connection after this long", String(DEFAULT_CONNECT_TIMEOUT_MS / 1000))
    .addHelpText(
      "after",
      `
Every message carries a unique id, its group and a per-group sequence number; the handler echoes
them with the queue's SQS sequence number, so each result is tied to its message. Latency is
measured from when a message was due (its slot in the --rate schedule, or the burst's start with
--rate max), not from when it was written, so a stalled server cannot hide its stall (no
coordinated omission). Connections open no faster than API Gateway's 500 new connections per second.

Defaults a FIFO queue can take: API Gateway makes one SQS SendMessage per frame, and a FIFO queue
takes 300 of them per second in all, or 300 per message group on a high-throughput queue (the
template's). So the burst reads the queue's DeduplicationScope and FifoThroughputLimit first, and
--rate auto (the default) paces the messages evenly at 80% of what the queue takes: 10 groups on
a high-throughput queue give 2,400/s (1,000 messages in under half a second), a normal FIFO queue
240/s whatever the groups; 80%, so that frames bunched on their way stay under the quota, since
AWS documents no burst allowance. Messages go round-robin over --groups (default: one per
connection, 10), each group over one connection. A --rate, --groups or --count that would exceed
the quota (or the stage's throttle) is named before sending, with the numbers and the fix.

Order is checked where the pattern guarantees it: within a group, results must arrive in the
order of their SQS sequence numbers, each exactly once. API Gateway runs each frame's integration
as its own request and promises no order before the queue, so messages that reach the queue in
another order than sent are counted apart, as information (--strict-send-order makes them fail).
Messages API Gateway answers with an error frame were throttled (by the queue's quota, or by the
stage) or refused, and are counted apart from lost ones.

A consumer you can slow down and break: --work-ms, --fail-rate and --fail-once-rate put directives in
each message that the built-in echo handler honours (a --handler of yours ignores them unless it
opts in). The failing messages are drawn with --seed (printed, so a run can be repeated). A failed
delivery waits out the queue's visibility timeout and blocks its FIFO group meanwhile; a message
that fails on every delivery is dead-lettered after maxReceiveCount deliveries. Before sending, the
burst reads the stack's visibility timeout, redrive policy and event source mapping and predicts
the drain (count × work ÷ groups in parallel, bounded by MaximumConcurrency, plus the waits of the
failures); the summary prints it next to the measured drain. Dead-lettered messages are listed by
id, not counted as lost; a message that failed once and was answered on its retry counts as retried.

Exit codes: 0 every message answered once, in order, on its own connection (or dead-lettered as directed);
            3 a message was lost, throttled, duplicated or answered out of order (or reordered
              before the queue, with --strict-send-order); 1 the burst could not run;
            130 interrupted (Ctrl-C stops sending and still prints the summary).

Examples:
  $ wsq burst                                   1,000 messages over 10 connections and groups, paced
  $ wsq burst --count 10000 --connections 100 --rate 2000 --report burst.html
  $ wsq burst --rate max --groups 50            all at once, thin enough per group for a high-throughput queue
  $ wsq burst --count 1000 --groups 10 --work-ms 20       a slow consumer: watch the queue buffer (drain about 2 s)
  $ wsq burst --count 500 --fail-rate 0.02 --seed 7        10 messages end in the DLQ; then: wsq dlq list, wsq dlq redrive --yes
  $ wsq burst --fail-once-rate 0.05                        failures retried after the visibility timeout
  $ wsq burst --json > burst.json
  $ wsq burst --url wss://abc.execute-api.eu-west-1.amazonaws.com/production --queue-url https://sqs…`,
    )
    .action(async (flags: BurstCommandFlags) => (await import("../actions/burst.js")).burstAction(flags, context));
}
