import { describe, expect, it } from "vitest";
import { loadSpecDatabase } from "../../../src/local/cloudformation/schema/resource-specs.js";
import { validateResourceProperties } from "../../../src/local/cloudformation/schema/validate-properties.js";

describe("resource property validation against the registry schemas", () => {
  it("reports unsupported, missing and mistyped properties as CloudFormation does", async () => {
    const specs = (await loadSpecDatabase())!;
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

  it("knows which changes replace a resource, and which attributes exist", async () => {
    const specs = (await loadSpecDatabase())!;
    expect([...specs.resource("AWS::SQS::Queue")!.replaceOnChange].sort()).toEqual(["FifoQueue", "QueueName"]);
    expect(specs.resource("AWS::ApiGatewayV2::Api")!.replaceOnChange.has("ProtocolType")).toBe(true);
    expect(specs.resource("AWS::Lambda::Function")!.replaceOnChange.has("FunctionName")).toBe(true);
    expect(specs.resource("AWS::Lambda::Function")!.replaceOnChange.has("Timeout")).toBe(false);
    expect([...specs.resource("AWS::IAM::Role")!.attributes].sort()).toEqual(["Arn", "RoleId"]);
    expect(specs.resource("AWS::Nope::Nothing")).toBeUndefined();
  });
});
