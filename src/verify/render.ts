import type { ChalkInstance } from "chalk";
import type { VerifyReport } from "./run-verify.js";

/** The verify report as text: one block per check (held or not, expected, seen, ledger entry), then what to do. */
export function renderVerifyReport(report: VerifyReport, color: ChalkInstance): string {
  const lines: string[] = [];
  const where = `${report.target}${report.region ? `, ${report.region}` : ""}`;
  lines.push(color.bold(`wsq verify: stack ${report.stackName} on ${where}`) + color.dim(` (${(report.durationMs / 1000).toFixed(1)} s)`));
  const local = report.observations.local;
  if (local !== null && (!local.quotas || local.orderedFrames)) {
    lines.push(
      color.yellow(
        `  note: this local cloud runs with ${[!local.quotas ? "--no-quotas" : "", local.orderedFrames ? "--ordered-frames" : ""].filter(Boolean).join(" and ")}, which AWS does not do`,
      ),
    );
  }
  lines.push("");
  for (const check of report.checks) {
    const mark = check.kind === "measurement" ? (check.held ? color.cyan("i") : color.red("✗")) : check.held ? color.green("✓") : color.red("✗");
    lines.push(`${mark} ${check.held ? check.title : color.bold(check.title)}`);
    lines.push(color.dim(`    expected  ${check.expected}`));
    lines.push(`    seen      ${check.held ? check.seen : color.red(check.seen)}`);
    lines.push(color.dim(`    ledger    ${check.ledger.map((l) => `${l.doc} § ${l.section}`).join("; ")}`));
  }
  lines.push("");
  const failed = report.checks.filter((c) => !c.held);
  if (failed.length === 0) {
    lines.push(color.green(`Every assumption held on the ${report.target} target (${report.checks.length} checks).`));
  } else {
    lines.push(color.red(`${failed.length} of ${report.checks.length} did not hold: ${failed.map((c) => c.id).join(", ")}.`));
    if (report.target === "aws") {
      lines.push(
        "The local cloud assumes otherwise: please report it, with the output of `wsq verify --target aws --json`, so the ledger and the local cloud can be fixed.",
      );
    }
  }
  if (report.cleanupError !== null) {
    lines.push(
      color.yellow(
        `Could not remove the stack ${report.stackName} verify created: ${report.cleanupError}. Remove it with \`wsq destroy --stack-name ${report.stackName}\`.`,
      ),
    );
  } else if (report.removed.length > 0) lines.push(color.dim(`Removed what verify created: ${report.removed.join(", ")}.`));
  else if (report.deployed.stack)
    lines.push(color.dim(`Kept the stack ${report.stackName} (--keep); \`wsq destroy --stack-name ${report.stackName}\` removes it.`));
  return lines.join("\n");
}
