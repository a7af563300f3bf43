import { describe, expect, it } from "vitest";
import { loadTemplate } from "../../../src/local/cloudformation/template/template.js";
import { resolveParameters } from "../../../src/local/cloudformation/template/parameters.js";
import { buildDependencyGraph, topologicalOrder } from "../../../src/local/cloudformation/template/graph.js";
import { generatePhysicalName } from "../../../src/local/cloudformation/engine/physical-names.js";

const PARAMETERS = `
Parameters:
  Env: { Type: String, AllowedValues: [dev, prod], Default: dev }
  Code: { Type: String, AllowedPattern: "[A-Z]{3}", ConstraintDescription: "three capitals" }
  Name: { Type: String, MinLength: 2, MaxLength: 4, Default: abc }
  Size: { Type: Number, MinValue: 1, MaxValue: 10, Default: 5 }
  Zones: { Type: CommaDelimitedList, Default: "a, b" }
  Ports: { Type: "List<Number>", Default: "80,443" }
Resources:
  Q: { Type: AWS::SQS::Queue }
`;

describe("parameters", () => {
  const template = loadTemplate(PARAMETERS);
  const values = (supplied: Record<string, string>) =>
    resolveParameters(
      template,
      Object.entries(supplied).map(([key, value]) => ({ key, value, usePreviousValue: false })),
    );

  it("applies defaults, splits lists and keeps the given strings", () => {
    const resolved = values({ Code: "ABC" });
    expect(resolved.values).toEqual({ Env: "dev", Code: "ABC", Name: "abc", Size: "5", Zones: ["a", "b"], Ports: ["80", "443"] });
    expect(resolved.given.Zones).toBe("a, b");
  });

  it("checks every constraint with AWS's messages", () => {
    expect(() => values({})).toThrow("Parameters: [Code] must have values");
    expect(() => values({ Code: "ABC", Env: "test" })).toThrow("Parameter 'Env' must be one of AllowedValues");
    expect(() => values({ Code: "abc" })).toThrow("Parameter 'Code' failed to satisfy constraint: three capitals");
    expect(() => values({ Code: "ABCD" })).toThrow("Parameter 'Code' failed to satisfy constraint: three capitals");
    expect(() => values({ Code: "ABC", Name: "a" })).toThrow("Parameter 'Name' must contain at least 2 characters");
    expect(() => values({ Code: "ABC", Name: "abcde" })).toThrow("Parameter 'Name' must contain at most 4 characters");
    expect(() => values({ Code: "ABC", Size: "0" })).toThrow("Parameter 'Size' must be a number not less than 1");
    expect(() => values({ Code: "ABC", Size: "11" })).toThrow("Parameter 'Size' must be a number not greater than 10");
    expect(() => values({ Code: "ABC", Size: "ten" })).toThrow("Parameter 'Size' must be a number");
    expect(() => values({ Code: "ABC", Ports: "80,http" })).toThrow("Parameter 'Ports' must be a number");
    expect(() => values({ Code: "ABC", Other: "x" })).toThrow("Parameters: [Other] do not exist in the template");
  });

  it("takes UsePreviousValue from the stack's current values", () => {
    const resolved = resolveParameters(template, [{ key: "Code", value: undefined, usePreviousValue: true }], { Code: "XYZ" });
    expect(resolved.values.Code).toBe("XYZ");
    expect(() => resolveParameters(template, [{ key: "Code", value: undefined, usePreviousValue: true }], {})).toThrow(/usePreviousValue/);
  });
});

describe("template structure", () => {
  it("rejects what CloudFormation rejects before creating anything", () => {
    expect(() => loadTemplate("Description: nothing")).toThrow("Template format error: At least one Resources member must be defined.");
    expect(() => loadTemplate("Resources:\n  Q: { Properties: {} }")).toThrow(
      "Template format error: [/Resources/Q] Every Resources object must contain a Type member.",
    );
    expect(() => loadTemplate("Bogus: 1\nResources:\n  Q: { Type: AWS::SQS::Queue }")).toThrow(
      "Template format error: Invalid template property or properties [Bogus]",
    );
    expect(() => loadTemplate("Parameters:\n  P: { Type: Strin }\nResources:\n  Q: { Type: AWS::SQS::Queue }")).toThrow(
      "Template format error: Unrecognized parameter type: Strin",
    );
    expect(() => loadTemplate("Resources:\n  Bad-Name: { Type: AWS::SQS::Queue }")).toThrow(
      "Template format error: Resource name Bad-Name is non alphanumeric.",
    );
    expect(() => loadTemplate("Resources:\n  Q: { Type: AWS::SQS::Queue, Condition: Nope }")).toThrow(/Unresolved dependencies \[Nope\]/);
    expect(() => loadTemplate("Transform: AWS::Serverless-2016-10-31\nResources:\n  Q: { Type: AWS::SQS::Queue }")).toThrow(/Transform/);
  });
});

describe("dependency graph", () => {
  const template = loadTemplate(`
Resources:
  Api: { Type: AWS::ApiGatewayV2::Api }
  Queue: { Type: AWS::SQS::Queue }
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationUri: !Sub "arn:aws:apigateway:\${AWS::Region}:sqs:path/\${Queue.QueueName}"
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: { ApiId: !Ref Api, Target: !Join ["/", [integrations, !Ref Integration]] }
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    DependsOn: Route
    Properties: { ApiId: !If [Never, !Ref Queue, !Ref Api] }
`);
  const known = (name: string) => name.startsWith("AWS::");

  it("collects edges from Ref, GetAtt, Sub, Join and DependsOn, skipping untaken If branches", () => {
    const graph = buildDependencyGraph([...template.resources.values()], () => false, known);
    expect([...graph.dependsOn.get("Integration")!].sort()).toEqual(["Api", "Queue"]);
    expect([...graph.dependsOn.get("Route")!].sort()).toEqual(["Api", "Integration"]);
    expect([...graph.dependsOn.get("Stage")!].sort()).toEqual(["Api", "Route"]);
    const order = topologicalOrder(graph);
    expect(order.indexOf("Integration")).toBeGreaterThan(order.indexOf("Queue"));
    expect(order.indexOf("Stage")).toBeGreaterThan(order.indexOf("Route"));
  });

  it("names the resources of a cycle", () => {
    const cyclic = loadTemplate(
      "Resources:\n  A: { Type: AWS::SQS::Queue, Properties: { QueueName: !GetAtt B.QueueName } }\n  B: { Type: AWS::SQS::Queue, DependsOn: C }\n  C: { Type: AWS::SQS::Queue, DependsOn: A }\n  D: { Type: AWS::SQS::Queue }",
    );
    expect(() => buildDependencyGraph([...cyclic.resources.values()], () => true, known)).toThrow("Circular dependency between resources: [A, B, C]");
  });
});

describe("generated physical names", () => {
  it("follow stack-logical-RANDOM within the type's limit, keeping a required suffix", () => {
    expect(generatePhysicalName("wsq", "Queue", { maxLength: 80 })).toMatch(/^wsq-Queue-[A-Z0-9]{12}$/);
    const long = generatePhysicalName("a".repeat(100), "B".repeat(100), { maxLength: 80, suffix: ".fifo" });
    expect(long).toHaveLength(80);
    expect(long).toMatch(/^a+-B+-[A-Z0-9]{12}\.fifo$/);
    expect(generatePhysicalName("Stack", "AssetBucket", { maxLength: 63, lowercase: true })).toMatch(/^stack-assetbucket-[a-z0-9]{12}$/);
  });
});
