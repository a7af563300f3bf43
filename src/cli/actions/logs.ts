import type { CommandContext } from "../program.js";
import { renderLogLine } from "../output/log-line.js";
import { parseSince } from "../flags.js";
import { prepareTarget } from "../../deploy/prepare-target.js";
import { tailFunctionLogs } from "../../client/logs/tail.js";

export interface LogsFlags {
  target?: string;
  stackName: string;
  function?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  since: string;
  follow?: boolean;
  filter?: string;
  json?: boolean;
}

export async function logsAction(flags: LogsFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  const since = parseSince(flags.since);
  const target = await prepareTarget(flags, { start: false }, io.env);
  await tailFunctionLogs({
    target,
    stackName: flags.stackName,
    env: io.env,
    ...(flags.function !== undefined ? { functionName: flags.function } : {}),
    startTime: Date.now() - since,
    ...(flags.filter ? { filterPattern: flags.filter } : {}),
    follow: flags.follow === true,
    stopped: context.interrupted,
    onEvent: (line) => renderLogLine(io, line, flags.json),
    onMissingGroup: ({ functionName, logGroupName }) =>
      io.err(
        io.color.dim(
          `No logs yet for ${functionName} (log group ${logGroupName} does not exist until the function first runs).${flags.follow ? " Waiting…" : ""}`,
        ),
      ),
  });
}
