import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadSpecDatabase } from "../../../src/local/cloudformation/schema/resource-specs.js";
import { validateResourceProperties } from "../../../src/local/cloudformation/schema/validate-properties.js";

describe("resource property validation against the registry schemas", () => {
  it("reports unsupported, missing and mistyped properties as CloudFormation does", () => {
    const specs = loadSpecDatabase();
    const queue = specs.resource("AWS::SQS::Queue")!;
    expect(validateResourceProperties("Q", { FifoQueue: true, VisibilityTimeout: "30" }, queue)).toBeUndefined();
    expect(validateResourceProperties("Q", { Nope: 1 }, queue)).toBe("Encountered unsupported property Nope");
    expect(validateResourceProperties("Q", { VisibilityTimeout: "thirty" }, queue)).toBe(
      "Properties validation failed for resource Q with message: [#/VisibilityTimeout: expected type: Integer, found: String]",
    );
    const fn = specs.resource("AWS::Lambda::Function")!;
    expect(validateResourceProperties("F", { Role: "arn" }, fn)).toBe(
      "Properties validation failed for resource F with message: [#: required key [Code] not found]",
    );
    expect(validateResourceProperties("F", { Role: "arn", Code: { ZipFile: "x", Extra: 1 } }, fn)).toBe(
      "Properties validation failed for resource F with message: [#/Code: extraneous key [Extra] is not permitted]",
    );
  });

  it("knows which changes replace a resource, and which attributes exist", () => {
    const specs = loadSpecDatabase();
    expect([...specs.resource("AWS::SQS::Queue")!.replaceOnChange].sort()).toEqual(["FifoQueue", "QueueName"]);
    expect(specs.resource("AWS::ApiGatewayV2::Api")!.replaceOnChange.has("ProtocolType")).toBe(true);
    expect(specs.resource("AWS::Lambda::Function")!.replaceOnChange.has("FunctionName")).toBe(true);
    expect(specs.resource("AWS::Lambda::Function")!.replaceOnChange.has("Timeout")).toBe(false);
    expect([...specs.resource("AWS::IAM::Role")!.attributes].sort()).toEqual(["Arn", "RoleId"]);
    expect(specs.resource("AWS::Nope::Nothing")).toBeUndefined();
  });
});

describe("the resource schemas the build extracts", () => {
  it("know every real type and its attributes, and the full schema of the provisioned types only", () => {
    const specs = loadSpecDatabase();
    expect(specs.exists("AWS::SNS::Topic")).toBe(true);
    expect(specs.attributes("AWS::SNS::Topic")?.has("TopicArn")).toBe(true);
    expect(specs.resource("AWS::SNS::Topic")).toBeUndefined();
    expect(specs.exists("AWS::Nope::Nothing")).toBe(false);
    expect(specs.resource("AWS::SQS::Queue")?.properties.VisibilityTimeout?.type).toEqual({ type: "integer" });
  });

  it("refuse to run without the build's file, naming it and the fix", () => {
    const missing = join(tmpdir(), "wsq-no-such-dir", "resource-specs.json");
    expect(() => loadSpecDatabase(missing)).toThrow(
      expect.objectContaining({ code: "RESOURCE_SPECS_MISSING", hint: expect.stringContaining("npm run build") }),
    );
    expect(() => loadSpecDatabase(missing)).toThrow(missing);
  });
});
