import { describe, expect, it } from "vitest";
import { parseQueryParameters, toXml } from "../../../src/local/cloudformation/query-protocol.js";

describe("the Query protocol", () => {
  it("rebuilds lists and structures from flattened member parameters", () => {
    const input = parseQueryParameters(
      new URLSearchParams(
        "Action=CreateStack&StackName=s&Parameters.member.1.ParameterKey=A&Parameters.member.1.ParameterValue=1&Parameters.member.2.ParameterKey=B&Parameters.member.2.UsePreviousValue=true&Capabilities.member.1=CAPABILITY_IAM&Tags.member.1.Key=k&Tags.member.1.Value=v",
      ),
    );
    expect(input).toEqual({
      Action: "CreateStack",
      StackName: "s",
      Parameters: [
        { ParameterKey: "A", ParameterValue: "1" },
        { ParameterKey: "B", UsePreviousValue: "true" },
      ],
      Capabilities: ["CAPABILITY_IAM"],
      Tags: [{ Key: "k", Value: "v" }],
    });
  });

  it("serialises lists as member elements, dates as ISO 8601 and escapes text", () => {
    expect(toXml("Stacks", [{ StackName: "a<b", CreationTime: new Date(0), DisableRollback: false, Skipped: undefined }])).toBe(
      "<Stacks><member><StackName>a&lt;b</StackName><CreationTime>1970-01-01T00:00:00.000Z</CreationTime><DisableRollback>false</DisableRollback></member></Stacks>",
    );
  });
});
