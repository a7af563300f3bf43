import type { CommandContext } from "../program.js";
import { parseLines, resolveDataDir } from "../flags.js";
import { ExitCode } from "../../shared/errors.js";
import { followLog, readLogTail } from "../../local/daemon/index.js";

/** `wsq local logs`: the log's last lines, then (with --follow) what it appends until Ctrl-C. */
export async function localLogsAction(flags: { dataDir?: string; follow?: boolean; lines: string }, context: CommandContext): Promise<void> {
  const { io } = context;
  const dataDir = resolveDataDir(flags.dataDir, io.env);
  const tail = readLogTail(dataDir, parseLines(flags.lines));
  io.stdout.write(tail.text);
  if (flags.follow) {
    await followLog(dataDir, tail.endOffset, (text) => void io.stdout.write(text), context.interrupted);
    context.setExitCode(ExitCode.ok);
  }
}
