import { WsqError } from "./errors.js";
import { defaultLocalDataDir } from "./paths.js";
import { readDaemonState, isProcessAlive } from "../local/daemon/state.js";

export type TargetKind = "local" | "aws";

/** The flags every AWS-facing command shares. */
export interface TargetFlags {
  target?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  dataDir?: string;
}

/** Where the SDK clients go. The same calls run against both; only this differs. */
export interface Target {
  kind: TargetKind;
  /** Undefined on AWS when neither a flag nor the environment names one: the SDK then reads the profile. */
  region: string | undefined;
  /** Set for the local cloud (or an explicit --endpoint-url). */
  endpoint: string | undefined;
  profile: string | undefined;
  /** Static credentials for the local cloud; undefined means the standard AWS provider chain. */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** The local cloud's data directory (local target only). */
  dataDir: string | undefined;
}

/**
 * The credentials wsq's own clients present to the local cloud. Any value works unless the
 * local cloud was started with SigV4 verification on, which checks against these.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: "wsqlocal", secretAccessKey: "wsqlocalsecret" } as const;

export function parseTargetKind(value: string | undefined, env: NodeJS.ProcessEnv = process.env): TargetKind {
  const raw = value ?? env.WSQ_TARGET ?? "local";
  if (raw === "local" || raw === "aws") return raw;
  throw new WsqError("BAD_TARGET", `Unknown target "${raw}".`, { hint: "Use --target local (the embedded local cloud) or --target aws.", exitCode: 2 });
}

/**
 * Resolve the flags into a target, without contacting anything. For the local target without
 * --endpoint-url, the endpoint comes from the running local cloud's state file; `endpoint` is
 * undefined when none runs (commands that need it call requireLocalEndpoint()).
 */
export function resolveTarget(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): Target {
  const kind = parseTargetKind(flags.target, env);
  if (kind === "aws") {
    return {
      kind,
      region: flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
      endpoint: flags.endpointUrl,
      profile: flags.profile ?? env.AWS_PROFILE,
      credentials: undefined,
      dataDir: undefined,
    };
  }
  const dataDir = flags.dataDir ?? defaultLocalDataDir(env);
  let endpoint = flags.endpointUrl;
  let region = flags.region;
  if (endpoint === undefined) {
    const state = readDaemonState(dataDir);
    if (state && isProcessAlive(state.pid)) {
      endpoint = state.url;
      region ??= state.region;
    }
  }
  return {
    kind,
    region: region ?? env.WSQ_REGION ?? "us-east-1",
    endpoint,
    profile: undefined,
    credentials: { ...LOCAL_CREDENTIALS },
    dataDir,
  };
}

/** For commands that talk to an already running local cloud. */
export function requireLocalEndpoint(target: Target): string {
  if (target.endpoint) return target.endpoint;
  throw new WsqError("LOCAL_NOT_RUNNING", "The local cloud is not running.", {
    hint: "Start it with `wsq local start` (or run `wsq deploy`, which starts it), or pass --endpoint-url.",
  });
}

/** Configuration shared by every @aws-sdk client wsq creates for this target. */
export function clientConfig(target: Target): {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  profile?: string;
  maxAttempts: number;
} {
  return {
    ...(target.region !== undefined ? { region: target.region } : {}),
    ...(target.endpoint !== undefined ? { endpoint: target.endpoint } : {}),
    ...(target.credentials !== undefined ? { credentials: target.credentials } : {}),
    ...(target.profile !== undefined ? { profile: target.profile } : {}),
    maxAttempts: 3,
  };
}
