import type { Command } from "commander";
import type { CommandContext } from "../program.js";
import type { VerifyFlags } from "../actions/verify.js";

/** The default stack verify deploys (and deletes afterwards) when none of that name is deployed. */
export const DEFAULT_VERIFY_STACK = "wsq-verify";

export function registerVerifyCommand(program: Command, context: CommandContext): void {
  program
    .command("verify")
    .description("check, on AWS or the local cloud, the assumptions the local cloud makes about AWS; say which held and which did not")
    .option("--target <target>", "aws, or local (the embedded local cloud, default; every check must hold there)")
    .option("--stack-name <name>", `the stack to check: used if deployed, else deployed and deleted afterwards (default "${DEFAULT_VERIFY_STACK}")`)
    .option("--region <region>", "AWS Region (default: AWS_REGION or the profile's region)")
    .option("--profile <profile>", "AWS profile from ~/.aws (aws target)")
    .option("--endpoint-url <url>", "send every AWS call to this endpoint")
    .option("--json", "print the whole report, observations included, as JSON on stdout")
    .option("--keep", "keep what verify deployed (the stack, the asset stack, a local cloud it started)")
    .addHelpText(
      "after",
      `
What it does: deploys the stack (or uses the deployed one of that name), sends a frame that is not
JSON, frames with a numeric and a punctuated MessageGroupId, a frame that starts like a JSON
object but is not JSON; bursts on one message group each: paced at its quota (300/s for a
second), paced 20% above it (360/s for two seconds), three seconds' worth at once; and a
close-together run of frames on one connection; reads the queue's attributes, what was
throttled, the dead-letter queue and the function's logs; prints each assumption with what was
expected, what was seen, and the fidelity ledger entry (docs file and section) it concerns; then
deletes what it deployed, unless --keep. About 2,000 messages: on AWS a few cents at most, and
a stack that exists for a few minutes.

If a check does not hold on AWS, the local cloud is wrong there: please report it with the
output of \`wsq verify --target aws --json\` (it holds every observation).

Exit codes: 0 every assumption held; 3 one did not; 1 verify could not run (no credentials,
            the deploy failed, the API did not answer); 130 interrupted.

Examples:
  $ wsq verify                                  the local cloud: every check must hold
  $ wsq verify --target aws --region eu-west-1
  $ wsq verify --target aws --json > verify.json
  $ wsq verify --target aws --stack-name wsq   check a stack you deployed (left as it is)`,
    )
    .action(async (flags: VerifyFlags) => (await import("../actions/verify.js")).verifyAction(flags, context));
}
