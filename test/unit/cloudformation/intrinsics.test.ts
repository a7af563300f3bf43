import { describe, expect, it } from "vitest";
import { parseTemplateBody } from "../../../src/local/cloudformation/template/parse.js";
import {
  evaluateCondition,
  NO_VALUE,
  resolveValue,
  UNKNOWN,
  type EvaluationScope,
  type Resolved,
} from "../../../src/local/cloudformation/template/intrinsics.js";

function scope(overrides: Partial<EvaluationScope> = {}): EvaluationScope {
  const refs: Record<string, Resolved> = {
    Env: "prod",
    Subnets: ["a", "b", "c"],
    Queue: "https://sqs/000000000000/q",
    "AWS::Region": "eu-west-1",
    "AWS::StackName": "stack",
    "AWS::NoValue": NO_VALUE,
    Pending: UNKNOWN,
  };
  return {
    region: "eu-west-1",
    ref: (name) => refs[name],
    getAtt: (logicalId, attribute) => {
      if (logicalId === "Pending") return UNKNOWN;
      if (logicalId === "Queue" && attribute === "Arn") return "arn:aws:sqs:eu-west-1:000000000000:q";
      throw new Error(`no ${logicalId}.${attribute}`);
    },
    condition: (name) => name === "IsProd",
    mapping: (name) => (name === "Sizes" ? { prod: { Memory: 512 }, dev: { Memory: 128 } } : undefined),
    importValue: (name) => {
      if (name === "shared-url") return "https://shared";
      throw new Error("No export named " + name + " found.");
    },
    ...overrides,
  };
}

const resolve = (yaml: string): Resolved => resolveValue(parseTemplateBody(`Value: ${yaml}`).Value!, scope());

describe("YAML short forms", () => {
  it("turn every short-form tag into its long form", () => {
    const parsed = parseTemplateBody(
      [
        "A: !Ref X",
        "B: !GetAtt Res.Attr.Sub",
        "C: !Sub '${X}'",
        "D: !Join [',', [a, b]]",
        "E: !If [Cond, 1, 2]",
        "F: !Equals [a, b]",
        "G: !Condition Cond",
        "H: !Select [0, !GetAZs '']",
        "I: !Base64 text",
        "J: !ImportValue name",
        "K: !FindInMap [M, a, b]",
        "L: !Split [',', 'a,b']",
        "M: !Not [!Equals [a, b]]",
        "N: !And [!Condition A, !Condition B]",
        "O: !Or [!Condition A, !Condition B]",
      ].join("\n"),
    );
    expect(parsed).toEqual({
      A: { Ref: "X" },
      B: { "Fn::GetAtt": ["Res", "Attr.Sub"] },
      C: { "Fn::Sub": "${X}" },
      D: { "Fn::Join": [",", ["a", "b"]] },
      E: { "Fn::If": ["Cond", 1, 2] },
      F: { "Fn::Equals": ["a", "b"] },
      G: { Condition: "Cond" },
      H: { "Fn::Select": [0, { "Fn::GetAZs": "" }] },
      I: { "Fn::Base64": "text" },
      J: { "Fn::ImportValue": "name" },
      K: { "Fn::FindInMap": ["M", "a", "b"] },
      L: { "Fn::Split": [",", "a,b"] },
      M: { "Fn::Not": [{ "Fn::Equals": ["a", "b"] }] },
      N: { "Fn::And": [{ Condition: "A" }, { Condition: "B" }] },
      O: { "Fn::Or": [{ Condition: "A" }, { Condition: "B" }] },
    });
  });

  it("reads JSON templates and rejects unknown tags and malformed text", () => {
    expect(parseTemplateBody('{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}')).toEqual({ Resources: { Q: { Type: "AWS::SQS::Queue" } } });
    expect(() => parseTemplateBody("A: !Bogus x")).toThrow(/YAML not well-formed/);
    expect(() => parseTemplateBody("{ not json")).toThrow(/JSON not well-formed/);
    expect(() => parseTemplateBody("A: [unclosed")).toThrow(/YAML not well-formed/);
    // Dates stay strings (YAML 1.2 core schema), as CloudFormation reads them.
    expect(parseTemplateBody("AWSTemplateFormatVersion: 2010-09-09")).toEqual({ AWSTemplateFormatVersion: "2010-09-09" });
  });
});

describe("intrinsic functions", () => {
  it("Ref, GetAtt and Sub (both forms, literals, attributes)", () => {
    expect(resolve("!Ref Env")).toBe("prod");
    expect(resolve("!GetAtt Queue.Arn")).toBe("arn:aws:sqs:eu-west-1:000000000000:q");
    expect(resolve("!Sub '${AWS::StackName}-${Env}-${Queue.Arn}'")).toBe("stack-prod-arn:aws:sqs:eu-west-1:000000000000:q");
    expect(resolve("!Sub ['${Name}.fifo', { Name: !Ref Env }]")).toBe("prod.fifo");
    expect(resolve("!Sub '${!Literal} and ${Env}'")).toBe("${Literal} and prod");
    expect(() => resolve("!Ref Missing")).toThrow("Template format error: Unresolved resource dependencies [Missing] in the Resources block of the template");
  });

  it("Join, Select, Split, GetAZs, Base64, FindInMap, ImportValue", () => {
    expect(resolve("!Join ['-', [a, !Ref Env, c]]")).toBe("a-prod-c");
    expect(resolve("!Join [',', !Ref Subnets]")).toBe("a,b,c");
    expect(resolve("!Select [1, !Ref Subnets]")).toBe("b");
    expect(resolve("!Select ['2', !Split [',', 'x,y,z']]")).toBe("z");
    expect(() => resolve("!Select [5, !Ref Subnets]")).toThrow("Template error: Fn::Select cannot select nonexistent value at index 5");
    expect(resolve("!GetAZs ''")).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    expect(resolve("!Base64 hello")).toBe("aGVsbG8=");
    expect(resolve("!FindInMap [Sizes, !Ref Env, Memory]")).toBe(512);
    expect(() => resolve("!FindInMap [Sizes, test, Memory]")).toThrow("Template error: Unable to get mapping for Sizes::test::Memory");
    expect(resolve("!ImportValue shared-url")).toBe("https://shared");
    expect(() => resolve("!Join [',']")).toThrow(/every Fn::Join object requires two parameters/);
  });

  it("If with AWS::NoValue removes the property; conditions combine with And/Or/Not/Equals", () => {
    expect(resolveValue({ A: { "Fn::If": ["IsProd", "yes", "no"] }, B: { "Fn::If": ["IsDev", "x", { Ref: "AWS::NoValue" }] } }, scope())).toEqual({ A: "yes" });
    expect(resolveValue([1, { Ref: "AWS::NoValue" }, 3], scope())).toEqual([1, 3]);
    const s = scope();
    expect(evaluateCondition({ "Fn::Equals": [{ Ref: "Env" }, "prod"] }, s)).toBe(true);
    expect(evaluateCondition({ "Fn::Not": [{ Condition: "IsProd" }] }, s)).toBe(false);
    expect(evaluateCondition({ "Fn::And": [{ Condition: "IsProd" }, { "Fn::Equals": ["1", 1] }] }, s)).toBe(true);
    expect(evaluateCondition({ "Fn::Or": [{ Condition: "IsDev" }, { Condition: "IsDev" }] }, s)).toBe(false);
    expect(() => evaluateCondition({ "Fn::And": [{ Condition: "IsProd" }] }, s)).toThrow(
      "Template error: Fn::And requires a list argument with between 2 and 10 function tokens",
    );
  });

  it("propagates values only known after deployment", () => {
    expect(resolve("!Sub '${Pending}-x'")).toBe(UNKNOWN);
    expect(resolve("!Join ['', [a, !GetAtt Pending.Arn]]")).toBe(UNKNOWN);
    expect(resolve("!Ref Pending")).toBe(UNKNOWN);
  });
});
