import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { DaemonState } from "../../src/local/daemon/state.js";
import { LOCAL_CREDENTIALS } from "../../src/shared/target.js";
import { killRecorded, runWsq } from "../cli/local-helpers.js";
import { tempDir } from "../helpers/local-cloud.js";

describe("wsq local start --verify-signatures", () => {
  it("runs a daemon that refuses requests not signed with the local credentials", async () => {
    const home = tempDir("wsq-sigv4-cli-");
    try {
      const started = await runWsq(["local", "start", "--port", "0", "--verify-signatures", "--json"], home);
      expect(started.code, started.stderr).toBe(0);
      const state = JSON.parse(started.stdout) as DaemonState;
      const good = new SQSClient({ endpoint: state.url, region: state.region, credentials: LOCAL_CREDENTIALS });
      const bad = new SQSClient({
        endpoint: state.url,
        region: state.region,
        credentials: { accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: "wrong" },
      });
      try {
        await good.send(new ListQueuesCommand({}));
        await expect(bad.send(new ListQueuesCommand({}))).rejects.toMatchObject({ name: "SignatureDoesNotMatch" });
      } finally {
        good.destroy();
        bad.destroy();
      }
      expect((await runWsq(["local", "stop"], home)).code).toBe(0);
    } finally {
      killRecorded(`${home}/local`);
      rmSync(home, { recursive: true, force: true });
    }
  });
});
