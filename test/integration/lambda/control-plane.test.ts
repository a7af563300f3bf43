/**
 * The function control plane through @aws-sdk/client-lambda: code and configuration updates reach
 * the next invocation (warm environments of the old revision are retired), GetFunction's code
 * download, paging, permissions, tags, async invocation, and the errors clients branch on.
 */
import { describe, expect, it } from "vitest";
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  InvokeCommand,
  ListFunctionsCommand,
  ListTagsCommand,
  RemovePermissionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { CreateQueueCommand } from "@aws-sdk/client-sqs";
import { unzipSync, strFromU8 } from "fflate";
import { useTestCloud } from "../../helpers/local-cloud.js";
import { ROLE, clients, createFunction, receiveAll, zipOf } from "./helpers.js";

const decoder = new TextDecoder();
const VERSION = (n: number) => `let calls = 0; exports.handler = async () => ({ version: ${n}, calls: ++calls, greeting: process.env.GREETING ?? null });`;

describe("Lambda control plane", () => {
  it("applies code and configuration updates to the next invocation", async () => {
    const cloud = await useTestCloud();
    const { lambda } = clients(cloud);
    await createFunction(lambda, "updated", { "index.js": VERSION(1) });
    const call = async () => JSON.parse(decoder.decode((await lambda.send(new InvokeCommand({ FunctionName: "updated" }))).Payload)) as Record<string, unknown>;
    expect(await call()).toEqual({ version: 1, calls: 1, greeting: null });
    expect(await call()).toEqual({ version: 1, calls: 2, greeting: null });

    const updated = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "updated", ZipFile: zipOf({ "index.js": VERSION(2) }) }));
    expect(updated.CodeSha256).not.toBeUndefined();
    expect(await call()).toEqual({ version: 2, calls: 1, greeting: null });
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "updated", Environment: { Variables: { GREETING: "hi" } } }));
    expect(await call()).toEqual({ version: 2, calls: 1, greeting: "hi" });

    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: "arn:aws:lambda:us-east-1:000000000000:function:updated" }));
    expect(fn.Configuration?.CodeSha256).toBe(updated.CodeSha256);
    const zip = new Uint8Array(await (await fetch(fn.Code!.Location!)).arrayBuffer());
    expect(strFromU8(unzipSync(zip)["index.js"]!)).toBe(VERSION(2));

    await lambda.send(new DeleteFunctionCommand({ FunctionName: "updated" }));
    await expect(lambda.send(new InvokeCommand({ FunctionName: "updated" }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("lists in pages, records permissions and tags, runs Event invocations, refuses bad input", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    for (const name of ["a", "b", "c"]) await createFunction(lambda, name, { "index.js": VERSION(0) }, { Tags: { team: name } });
    const first = await lambda.send(new ListFunctionsCommand({ MaxItems: 2 }));
    expect(first.Functions?.map((f) => f.FunctionName)).toEqual(["a", "b"]);
    const second = await lambda.send(new ListFunctionsCommand({ MaxItems: 2, Marker: first.NextMarker }));
    expect(second.Functions?.map((f) => f.FunctionName)).toEqual(["c"]);
    expect(second.NextMarker).toBeUndefined();

    await lambda.send(
      new AddPermissionCommand({
        FunctionName: "a",
        StatementId: "apigw",
        Action: "lambda:InvokeFunction",
        Principal: "apigateway.amazonaws.com",
        SourceArn: "arn:aws:execute-api:us-east-1:000000000000:abc/*",
      }),
    );
    await expect(
      lambda.send(
        new AddPermissionCommand({ FunctionName: "a", StatementId: "apigw", Action: "lambda:InvokeFunction", Principal: "apigateway.amazonaws.com" }),
      ),
    ).rejects.toMatchObject({ name: "ResourceConflictException" });
    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: "a" }))).Policy!) as { Statement: { Sid: string; Principal: unknown }[] };
    expect(policy.Statement).toMatchObject([{ Sid: "apigw", Principal: { Service: "apigateway.amazonaws.com" } }]);
    await lambda.send(new RemovePermissionCommand({ FunctionName: "a", StatementId: "apigw" }));
    await expect(lambda.send(new GetPolicyCommand({ FunctionName: "a" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });

    const arn = "arn:aws:lambda:us-east-1:000000000000:function:a";
    await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { stage: "dev" } }));
    expect((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({ team: "a", stage: "dev" });
    await lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: ["team"] }));
    expect((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({ stage: "dev" });

    // Event: accepted (202) at once, run in the background.
    const done = await sqs.send(new CreateQueueCommand({ QueueName: "async-done" }));
    await createFunction(
      lambda,
      "background",
      {
        "index.js": `const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs"); const sqs = new SQSClient({});
        exports.handler = async (event) => { await sqs.send(new SendMessageCommand({ QueueUrl: process.env.DONE, MessageBody: event.note })); };`,
      },
      { Environment: { Variables: { DONE: done.QueueUrl! } } },
    );
    const accepted = await lambda.send(new InvokeCommand({ FunctionName: "background", InvocationType: "Event", Payload: JSON.stringify({ note: "ran" }) }));
    expect(accepted.StatusCode).toBe(202);
    expect((await receiveAll(sqs, done.QueueUrl!, 1)).map((m) => m.Body)).toEqual(["ran"]);

    await expect(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: "a",
          Runtime: "nodejs22.x",
          Handler: "index.handler",
          Role: ROLE,
          Code: { ZipFile: zipOf({ "index.js": "" }) },
        }),
      ),
    ).rejects.toMatchObject({ name: "ResourceConflictException", $metadata: { httpStatusCode: 409 } });
    await expect(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: "py",
          Runtime: "python3.13",
          Handler: "index.handler",
          Role: ROLE,
          Code: { ZipFile: zipOf({ "index.py": "" }) },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    await expect(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: "notzip",
          Runtime: "nodejs22.x",
          Handler: "index.handler",
          Role: ROLE,
          Code: { ZipFile: new TextEncoder().encode("not a zip") },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    await expect(lambda.send(new InvokeCommand({ FunctionName: "a", Payload: new TextEncoder().encode("{not json") }))).rejects.toMatchObject({
      name: "InvalidRequestContentException",
    });
  });
});
