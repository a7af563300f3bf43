import { InvalidArgumentError, type Command } from "commander";
import type { CommandContext } from "../program.js";
import type { TargetFlags } from "../../shared/target.js";

/**
 * `wsq dlq list|redrive|purge|tasks|cancel`: the dead letters of a deployed stack. This file only
 * registers the commands and their help; each action imports its implementation (actions/dlq.ts,
 * the AWS SDK) when it runs, so `wsq --help` loads none of it.
 */
export interface DlqFlags extends TargetFlags {
  stackName?: string;
  json?: boolean;
  limit?: number;
  yes?: boolean;
  rate?: number;
}

function integerIn(min: number, max: number, what: string) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < min || value > max) throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}.`);
    return value;
  };
}

function withTargetOptions(command: Command): Command {
  return command
    .option("--target <target>", "local (default) or aws")
    .option("--stack-name <name>", "the stack whose dead-letter queue to use (default: wsq)")
    .option("--region <region>", "AWS Region of the stack")
    .option("--profile <profile>", "AWS profile from ~/.aws (aws target)")
    .option("--endpoint-url <url>", "send every AWS call to this endpoint")
    .option("--json", "print the result as JSON on stdout");
}

export function registerDlqCommand(program: Command, context: CommandContext): void {
  const dlq = program
    .command("dlq")
    .description("the dead-letter queue: list the messages that failed, with the handler's error; redrive them to the queue; purge them")
    .addHelpText(
      "after",
      `
Messages land in the dead-letter queue (DLQ) after MaxReceiveCount failed deliveries (a
deploy parameter). Both targets, the same SQS calls; the queues come from the stack's outputs.

Examples:
  $ wsq dlq list                     each dead letter, its group, receive count, age, size, body and error
  $ wsq dlq list --json --limit 500
  $ wsq dlq redrive                  move them back to the queue (asks first; --yes without a terminal)
  $ wsq dlq redrive --yes --rate 10  at most 10 messages a second
  $ wsq dlq tasks                    recent redrives and their progress
  $ wsq dlq cancel                   stop a running redrive (what moved stays moved)
  $ wsq dlq purge --yes              delete every dead letter`,
    );

  withTargetOptions(
    dlq
      .command("list")
      .description("show the dead letters without consuming them (each one's receive count goes up by one)")
      .option("--limit <n>", "show at most this many messages (1-1000)", integerIn(1, 1000, "--limit"), 100)
      .addHelpText(
        "after",
        `
SQS has no peek: list receives each message with a 30 s visibility timeout and hands it back at
once (ChangeMessageVisibility 0). Nothing is deleted or reordered; each message's
ApproximateReceiveCount grows by one (a redrive starts it again from zero). On a FIFO queue a
receive shows at most 10 messages of a group and nothing more of it while they are out, so a
group's later messages can stay hidden: the listing says so.

The error shown is the handler's log line for that message id, from the function's logs.`,
      ),
  ).action(async (flags: DlqFlags) => {
    const { runDlqList } = await import("../actions/dlq.js");
    await runDlqList(flags, context);
  });

  withTargetOptions(
    dlq
      .command("redrive")
      .description("move the dead letters back to the queue with SQS's message move task, and follow it")
      .option("-y, --yes", "redrive without asking (required without a terminal)")
      .option("--rate <n>", "at most this many messages per second (1-500; default: SQS decides)", integerIn(1, 500, "--rate"))
      .addHelpText(
        "after",
        `
Each message goes back to the queue as a new message (new id, receive count 0), oldest first;
a FIFO group keeps its order. Messages that reach the DLQ after the start stay for the next
redrive. The move runs inside SQS: Ctrl-C stops following it, not the move (exit 130);
\`wsq dlq tasks\` shows its progress and \`wsq dlq cancel\` stops it. Fix the cause first: a
message whose body made the function fail fails again and comes back to the DLQ.

Examples:
  $ wsq dlq redrive
  $ wsq dlq redrive --yes --rate 10 --json`,
      ),
  ).action(async (flags: DlqFlags) => {
    const { runDlqRedrive } = await import("../actions/dlq.js");
    await runDlqRedrive(flags, context);
  });

  withTargetOptions(
    dlq
      .command("purge")
      .description("delete every message in the dead-letter queue (asks first; --yes without a terminal)")
      .option("-y, --yes", "purge without asking (required without a terminal)"),
  ).action(async (flags: DlqFlags) => {
    const { runDlqPurge } = await import("../actions/dlq.js");
    await runDlqPurge(flags, context);
  });

  withTargetOptions(dlq.command("tasks").description("show the recent redrives of the dead-letter queue (SQS message move tasks) and their progress")).action(
    async (flags: DlqFlags) => {
      const { runDlqTasks } = await import("../actions/dlq.js");
      await runDlqTasks(flags, context);
    },
  );

  withTargetOptions(dlq.command("cancel").description("cancel the running redrive; messages already moved stay in the queue")).action(
    async (flags: DlqFlags) => {
      const { runDlqCancel } = await import("../actions/dlq.js");
      await runDlqCancel(flags, context);
    },
  );
}
