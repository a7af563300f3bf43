import { homedir } from "node:os";
import { join } from "node:path";

/** wsq's own folder: `WSQ_HOME`, else `~/.wsq`. Saved stack outputs and the default local data live here. */
export function wsqHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.WSQ_HOME;
  return fromEnv && fromEnv.length > 0 ? fromEnv : join(homedir(), ".wsq");
}

/** The local cloud's default data directory (database, daemon state, log). */
export function defaultLocalDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(wsqHome(env), "local");
}
