import { stripVTControlCharacters } from "node:util";
import * as pty from "node-pty";
import { describe, expect, it, onTestFinished } from "vitest";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { WSQ_BIN } from "./local-helpers.js";
import { sdkConfig, tempDir, useTestCloud } from "../helpers/local-cloud.js";

// The confirmation prompts of deploy and destroy, answered in a real pseudo-terminal against a real
// local cloud (--endpoint-url): declining leaves nothing behind.

function terminal(args: string[], home: string): { type(text: string): void; waitFor(pattern: RegExp): Promise<string>; exited: Promise<number> } {
  const term = pty.spawn(process.execPath, [WSQ_BIN, ...args], {
    name: "xterm-256color",
    cols: 140,
    rows: 50,
    env: { ...process.env, WSQ_HOME: home, NO_COLOR: "1", TERM: "xterm-256color", CI: "" },
  });
  let raw = "";
  const waiters = new Set<() => void>();
  term.onData((data) => {
    raw += data;
    for (const check of [...waiters]) check();
  });
  const exited = new Promise<number>((resolve) =>
    term.onExit(({ exitCode }) => {
      resolve(exitCode);
      for (const check of [...waiters]) check();
    }),
  );
  onTestFinished(() => {
    try {
      term.kill();
    } catch {
      // already gone
    }
  });
  return {
    type: (text) => term.write(text),
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const text = stripVTControlCharacters(raw);
          if (pattern.test(text)) {
            waiters.delete(check);
            resolve(text);
          }
        };
        waiters.add(check);
        void exited.then(() => {
          if (waiters.has(check)) {
            waiters.delete(check);
            reject(new Error(`exited before ${pattern}; screen:\n${stripVTControlCharacters(raw)}`));
          }
        });
        check();
      }),
    exited,
  };
}

describe("deploy and destroy prompts on a terminal", () => {
  it("deploy lists the changes, asks, and on 'n' removes the change set and the empty stack", async () => {
    const cloud = await useTestCloud();
    const home = tempDir();
    const t = terminal(["deploy", "--endpoint-url", cloud.url, "--stack-name", "asked"], home);
    const screen = await t.waitFor(/Apply these changes\? \[y\/N\]/);
    expect(screen).toMatch(/Changes to stack asked \(create, 12 resources\)/);
    expect(screen).toMatch(/\+ Add\s+AWS::Lambda::Function\s+Function/);
    t.type("n\r");
    expect(await t.exited).toBe(1);
    expect(await t.waitFor(/cancelled; nothing was changed/)).toBeTruthy();
    const cfn = new CloudFormationClient(sdkConfig(cloud));
    onTestFinished(() => cfn.destroy());
    await expect(cfn.send(new DescribeStacksCommand({ StackName: "asked" }))).rejects.toThrow(/does not exist/);
  }, 60_000);

  it("destroy deletes nothing unless the stack name is typed", async () => {
    const cloud = await useTestCloud();
    const home = tempDir();
    // A declined deploy still leaves the asset stack behind; --purge-assets must ask before deleting it.
    const first = terminal(["deploy", "--endpoint-url", cloud.url, "--stack-name", "keepme"], home);
    await first.waitFor(/Apply these changes\?/);
    first.type("n\r");
    await first.exited;
    const wrong = terminal(["destroy", "--endpoint-url", cloud.url, "--purge-assets", "--stack-name", "gone"], home);
    await wrong.waitFor(/Type .*wsq-assets.* to confirm/);
    wrong.type("nope\r");
    expect(await wrong.exited).toBe(1);
    const cfn = new CloudFormationClient(sdkConfig(cloud));
    onTestFinished(() => cfn.destroy());
    expect((await cfn.send(new DescribeStacksCommand({ StackName: "wsq-assets" }))).Stacks?.[0]?.StackStatus).toBe("CREATE_COMPLETE");
  }, 60_000);
});
