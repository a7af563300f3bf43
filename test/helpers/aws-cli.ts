import { spawnSync } from "node:child_process";
import type { LocalCloud } from "../../src/local/server/local-cloud.js";
import { LOCAL_CREDENTIALS } from "../../src/shared/target.js";

/** Whether an `aws` command is installed (Debian's awscli package); tests that drive it skip without. */
export const hasAwsCli = spawnSync("aws", ["--version"], { stdio: "ignore" }).status === 0;

/** An environment for the AWS CLI pointed at a test cloud: its credentials and region, no user config, no pager. */
export function awsCliEnv(cloud: LocalCloud): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: cloud.region,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_PAGER: "",
  };
}
