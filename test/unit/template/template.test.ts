import { readFileSync } from "node:fs";
import { join } from "node:path";
import { render } from "velocityjs";
import { describe, expect, it } from "vitest";
import { parseCloudFormationYaml, type CloudFormationTemplate } from "../../../src/deploy/cfn-yaml.js";
import { HANDLER_ENTRY } from "../../../src/deploy/handler-bundle.js";
import { checkProperties, checkValue, loadResourceSpec } from "./resource-spec.js";

const root = join(import.meta.dirname, "..", "..", "..");
const load = (name: string): CloudFormationTemplate => parseCloudFormationYaml(readFileSync(join(root, "templates", name), "utf8"));
const pattern = load("wsq.yaml");
const assets = load("wsq-assets.yaml");
const PSEUDO = new Set([
  "AWS::AccountId",
  "AWS::Region",
  "AWS::StackName",
  "AWS::StackId",
  "AWS::Partition",
  "AWS::URLSuffix",
  "AWS::NoValue",
  "AWS::NotificationARNs",
]);

/** Every Ref, GetAtt and ${…} in Sub strings, with where it was found. */
function references(value: unknown, path: string, out: { kind: "Ref" | "GetAtt"; target: string; attribute?: string; path: string }[] = []) {
  if (Array.isArray(value)) value.forEach((v, i) => references(v, `${path}[${i}]`, out));
  else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "Ref") out.push({ kind: "Ref", target: inner as string, path });
      else if (key === "Fn::GetAtt") {
        const [target, attribute] = inner as [string, string];
        out.push({ kind: "GetAtt", target, attribute, path });
      } else if (key === "Fn::Sub") {
        const text = Array.isArray(inner) ? (inner[0] as string) : (inner as string);
        for (const match of text.matchAll(/\$\{([^}!]+)\}/g)) {
          const [target, attribute] = (match[1] as string).split(".", 2) as [string, string | undefined];
          out.push(attribute === undefined ? { kind: "Ref", target, path } : { kind: "GetAtt", target, attribute, path });
        }
      } else references(inner, `${path}.${key}`, out);
    }
  }
  return out;
}

describe.each([
  ["wsq.yaml", pattern],
  ["wsq-assets.yaml", assets],
])("%s against AWS's CloudFormation resource schemas", (_name, template) => {
  const db = loadResourceSpec();

  it("uses only resource types that exist, with known, well-typed and complete properties", () => {
    const problems = Object.entries(template.Resources).flatMap(([logicalId, resource]) => {
      const spec = db.resource(resource.Type);
      if (!spec) return [`${logicalId}: unknown resource type ${resource.Type}`];
      return checkProperties(db, spec.properties, resource.Properties ?? {}, logicalId, resource.Type);
    });
    expect(problems).toEqual([]);
  });

  it("refers only to declared parameters, resources and real attributes", () => {
    const problems: string[] = [];
    for (const ref of references({ Resources: template.Resources, Outputs: template.Outputs }, "")) {
      const resource = template.Resources[ref.target];
      if (ref.kind === "Ref") {
        if (!resource && !template.Parameters?.[ref.target] && !PSEUDO.has(ref.target)) problems.push(`${ref.path}: Ref to unknown ${ref.target}`);
      } else if (!resource) problems.push(`${ref.path}: GetAtt of unknown resource ${ref.target}`);
      else if (!(ref.attribute! in (db.resource(resource.Type)?.attributes ?? {})))
        problems.push(`${ref.path}: ${resource.Type} has no attribute ${ref.attribute}`);
    }
    expect(problems).toEqual([]);
  });

  it("has no transform, no fixed export names and no public or unencrypted storage", () => {
    expect(template).not.toHaveProperty("Transform");
    for (const output of Object.values(template.Outputs ?? {})) expect(output.Export).toBeUndefined();
  });

  it("detects a wrong property (the check can fail)", () => {
    const spec = db.resource("AWS::SQS::Queue")!;
    expect(checkProperties(db, spec.properties, { FifoQueue: "sometimes", Colour: "blue" }, "Q", "AWS::SQS::Queue")).toEqual([
      'Q.FifoQueue: expected a boolean, got "sometimes"',
      "Q.Colour: not a property of AWS::SQS::Queue",
    ]);
    const fn = db.resource("AWS::Lambda::Function")!;
    expect(checkProperties(db, fn.properties, {}, "F", "AWS::Lambda::Function")).toEqual(
      expect.arrayContaining(["F.Code: required by AWS::Lambda::Function but missing"]),
    );
    expect(checkValue(db, fn.properties.Code!.type, { S3Bucket: 3 }, "F.Code")).toEqual(["F.Code.S3Bucket: expected a string, got 3"]);
  });
});

describe("the pattern template", () => {
  const r = pattern.Resources;
  const props = (id: string) => r[id]?.Properties ?? {};

  it("outputs exactly what connect, burst and status read", () => {
    expect(Object.keys(pattern.Outputs ?? {}).sort()).toEqual(["ConnectionsUrl", "DeadLetterQueueUrl", "FunctionName", "QueueUrl", "WebSocketUrl"]);
  });

  it("derives the URLs from Api.ApiEndpoint, mapping ws→http and wss→https", () => {
    // Evaluate the ConnectionsUrl expression for both endpoint shapes, as CloudFormation would.
    const evaluate = (value: unknown, endpoint: string): unknown => {
      if (typeof value !== "object" || value === null) return value;
      if (Array.isArray(value)) return value.map((v) => evaluate(v, endpoint));
      const [key, arg] = Object.entries(value)[0] as [string, unknown];
      if (key === "Fn::GetAtt") return endpoint;
      if (key === "Ref") return arg === "StageName" ? "production" : `<${arg as string}>`;
      const args = evaluate(arg, endpoint) as unknown[];
      if (key === "Fn::Join") return (args[1] as string[]).join(args[0] as string);
      if (key === "Fn::Split") return (args[1] as string).split(args[0] as string);
      if (key === "Fn::Select") return (args[1] as string[])[Number(args[0])];
      throw new Error(`unexpected ${key}`);
    };
    const outputs = pattern.Outputs!;
    const aws = "wss://abc123.execute-api.eu-west-1.amazonaws.com";
    const local = "ws://127.0.0.1:4510/_aws/execute-api/abc123";
    expect(evaluate(outputs.WebSocketUrl!.Value, aws)).toBe(`${aws}/production`);
    expect(evaluate(outputs.ConnectionsUrl!.Value, aws)).toBe("https://abc123.execute-api.eu-west-1.amazonaws.com/production");
    expect(evaluate(outputs.ConnectionsUrl!.Value, local)).toBe("http://127.0.0.1:4510/_aws/execute-api/abc123/production");
    const env = (props("Function").Environment as { Variables: Record<string, unknown> }).Variables;
    expect(evaluate(env.WSQ_CONNECTIONS_URL, local)).toBe("http://127.0.0.1:4510/_aws/execute-api/abc123/production");
  });

  it("names the function, its log group and the API after the stack, and leaves the queue names to CloudFormation", () => {
    for (const [id, key] of [
      ["Function", "FunctionName"],
      ["Api", "Name"],
      ["FunctionLogGroup", "LogGroupName"],
    ] as const) {
      expect(JSON.stringify(props(id)[key]), id).toContain("${AWS::StackName}");
    }
    // Generated names (`<stack>-Queue-<random>.fifo`): a destroy and a deploy need not wait out
    // SQS's 60 s name reuse, and an update may replace a queue.
    for (const id of ["Queue", "DeadLetterQueue"]) expect(props(id).QueueName, id).toBeUndefined();
  });

  it("has a high-throughput FIFO queue with SSE, a FIFO dead-letter queue and maxReceiveCount of at least 5", () => {
    for (const id of ["Queue", "DeadLetterQueue"]) {
      expect(props(id).FifoQueue).toBe(true);
      expect(props(id).SqsManagedSseEnabled).toBe(true);
    }
    expect(props("Queue")).toMatchObject({ DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" });
    // The dead-letter queue keeps normal throughput: SQS moves messages into it, nothing sends.
    expect(props("DeadLetterQueue").DeduplicationScope).toBeUndefined();
    expect(props("DeadLetterQueue").FifoThroughputLimit).toBeUndefined();
    const redrive = props("Queue").RedrivePolicy as Record<string, unknown>;
    expect(redrive.deadLetterTargetArn).toEqual({ "Fn::GetAtt": ["DeadLetterQueue", "Arn"] });
    expect(redrive.maxReceiveCount).toEqual({ Ref: "MaxReceiveCount" });
    expect(pattern.Parameters!.MaxReceiveCount!.MinValue).toBeGreaterThanOrEqual(5);
    expect(pattern.Parameters!.MaxReceiveCount!.Default).toBeGreaterThanOrEqual(5);
  });

  it("sets the visibility timeout to six times the function timeout for every allowed timeout", () => {
    const parameter = pattern.Parameters!.FunctionTimeoutSeconds!;
    const map = pattern.Mappings!.VisibilityTimeoutByFunctionTimeout!;
    expect(parameter.AllowedValues).toContain(parameter.Default);
    for (const timeout of parameter.AllowedValues as number[]) expect(map[String(timeout)]?.Seconds, `timeout ${timeout}`).toBe(6 * timeout);
    expect(props("Queue").VisibilityTimeout).toEqual({ "Fn::FindInMap": ["VisibilityTimeoutByFunctionTimeout", { Ref: "FunctionTimeoutSeconds" }, "Seconds"] });
    expect(props("Function").Timeout).toEqual({ Ref: "FunctionTimeoutSeconds" });
    // Every visibility timeout within SQS's 12-hour limit.
    for (const entry of Object.values(map)) expect(entry.Seconds as number).toBeLessThanOrEqual(43_200);
  });

  it("runs the handler on nodejs22.x or newer, arm64, from the S3 asset, with the bundle's entry", () => {
    const fn = props("Function");
    expect(Number(/^nodejs(\d+)\.x$/.exec(fn.Runtime as string)?.[1])).toBeGreaterThanOrEqual(22);
    expect(fn.Architectures).toEqual(["arm64"]);
    expect(fn.Handler).toBe(HANDLER_ENTRY);
    expect(fn.Code).toEqual({ S3Bucket: { Ref: "AssetBucket" }, S3Key: { Ref: "AssetKey" } });
  });

  it("maps the queue to the function with partial batch responses and parameterised batch size and concurrency", () => {
    const esm = props("EventSourceMapping");
    expect(esm.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(esm.BatchSize).toEqual({ Ref: "BatchSize" });
    expect(esm.ScalingConfig).toEqual({ MaximumConcurrency: { Ref: "MaximumConcurrency" } });
    expect(pattern.Parameters!.BatchSize!.MaxValue).toBe(10);
    expect(pattern.Parameters!.MaximumConcurrency!.MinValue).toBe(2);
  });

  it("routes $request.body.action with a $default route to an SQS integration", () => {
    expect(props("Api")).toMatchObject({ ProtocolType: "WEBSOCKET", RouteSelectionExpression: "$request.body.action" });
    expect(props("DefaultRoute")).toMatchObject({ RouteKey: "$default", Target: { "Fn::Sub": "integrations/${QueueIntegration}" } });
    expect(props("QueueIntegration")).toMatchObject({
      IntegrationType: "AWS",
      IntegrationMethod: "POST",
      PassthroughBehavior: "NEVER",
      TemplateSelectionExpression: "\\$default",
      CredentialsArn: { "Fn::GetAtt": ["ApiRole", "Arn"] },
      IntegrationUri: { "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:sqs:path/${AWS::AccountId}/${Queue.QueueName}" },
      RequestParameters: { "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'" },
    });
    expect(props("Stage")).toMatchObject({
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: { Ref: "ThrottlingRateLimit" }, ThrottlingBurstLimit: { Ref: "ThrottlingBurstLimit" } },
    });
  });

  describe("the request mapping template, under any reading of what AWS leaves undocumented", () => {
    const join = (props("QueueIntegration").RequestTemplates as Record<string, { "Fn::Join": [string, string[]] }>)["$default"]!["Fn::Join"];
    const template = join[1].join(join[0]);
    // API Gateway's $util.urlEncode is Java's URLEncoder (space → "+").
    const urlEncode = (value: unknown) =>
      encodeURIComponent(String(value))
        .replace(/%20/g, "+")
        .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    /**
     * What `$input.path` does on a body that is not JSON is not documented for WebSocket APIs:
     * fail the template (the local cloud's reading), select nothing, or read the raw body.
     */
    const readings = {
      strict: (): unknown => {
        throw new Error("Could not parse request body into json");
      },
      nothing: (): unknown => undefined,
      rawBody: (body: string): unknown => body,
    };
    /** Plain velocityjs, which converts any argument to text: the lenient typing. */
    const run = (frame: string, reading: keyof typeof readings = "strict") => {
      const path = (expression: string): unknown => {
        let value: unknown;
        try {
          value = JSON.parse(frame) as unknown;
        } catch {
          return readings[reading](frame);
        }
        return expression === "$.MessageGroupId" ? (value as Record<string, unknown>).MessageGroupId : undefined;
      };
      const body = render(template, {
        input: { body: frame, path },
        context: { connectionId: "Ab-cD1=", requestId: "Req+1=", requestTimeEpoch: 1732400000123 },
        util: { urlEncode },
      });
      return { body, form: new URLSearchParams(body) };
    };

    it("produces one SendMessage form with every value URL-encoded and the frame as the body, verbatim", () => {
      const frame = JSON.stringify({ action: "send", MessageGroupId: "g&1=x+y %", data: "a&b=c+d%e\nline two 🌍" }, null, 1);
      const { body, form } = run(frame);
      expect(body).not.toMatch(/\s/);
      expect(Object.fromEntries(form)).toEqual({
        Action: "SendMessage",
        MessageGroupId: "g&1=x+y %",
        MessageDeduplicationId: "Req+1=",
        "MessageAttribute.1.Name": "connectionId",
        "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.1.Value.StringValue": "Ab-cD1=",
        "MessageAttribute.2.Name": "requestId",
        "MessageAttribute.2.Value.DataType": "String",
        "MessageAttribute.2.Value.StringValue": "Req+1=",
        "MessageAttribute.3.Name": "requestTimeEpoch",
        "MessageAttribute.3.Value.DataType": "Number",
        "MessageAttribute.3.Value.StringValue": "1732400000123",
        MessageBody: frame,
      });
    });

    it("passes only strings to $util.urlEncode: the group as text, requestTimeEpoch written as digits", () => {
      expect(template).toContain('$util.urlEncode("$group")');
      expect(template).not.toMatch(/\$util\.urlEncode\(\$context\.requestTimeEpoch\)/);
      expect(run('{"MessageGroupId": 7}').form.get("MessageGroupId")).toBe("7");
    });

    it("falls back to the connection id as the group when the client sends none", () => {
      expect(run('{"data": 1}').form.get("MessageGroupId")).toBe("Ab-cD1=");
      expect(run('{"MessageGroupId": "", "data": 1}').form.get("MessageGroupId")).toBe("Ab-cD1=");
    });

    it("queues text, numbers and arrays verbatim in the connection's group, never asking $input.path about them", () => {
      for (const frame of ["plain text & more=1", "42", "[1, 2]", '"a string"', "null", "  \t[{}]"]) {
        for (const reading of Object.keys(readings) as (keyof typeof readings)[]) {
          const { form } = run(frame, reading);
          expect(form.get("MessageBody"), `${frame} (${reading})`).toBe(frame);
          expect(form.get("MessageGroupId"), `${frame} (${reading})`).toBe("Ab-cD1=");
        }
      }
    });

    it("asks $input.path only about frames that start like an object, so only they depend on the reading", () => {
      expect(run(' {"MessageGroupId": "g"}').form.get("MessageGroupId")).toBe("g");
      expect(() => run("{not json")).toThrow(/Could not parse/);
      expect(run("{not json", "nothing").form.get("MessageGroupId")).toBe("Ab-cD1=");
      expect(run("{not json", "rawBody").form.get("MessageGroupId")).toBe("{not json");
    });
  });

  describe("least privilege", () => {
    type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown };
    /** A role's statements: its inline policies and the AWS::IAM::Policy resources attached to it. */
    const statements = (id: string): Statement[] => {
      const inline = ((props(id).Policies as { PolicyDocument: { Statement: Statement[] } }[]) ?? []).flatMap((p) => p.PolicyDocument.Statement);
      const attached = Object.values(r)
        .filter((resource) => resource.Type === "AWS::IAM::Policy" && JSON.stringify(resource.Properties?.Roles) === JSON.stringify([{ Ref: id }]))
        .flatMap((resource) => (resource.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
      return [...inline, ...attached];
    };
    const actions = (id: string) =>
      statements(id)
        .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
        .sort();

    it("grants no wildcard actions or resources and attaches no managed policies", () => {
      for (const id of ["ApiRole", "FunctionRole"]) {
        expect(props(id).ManagedPolicyArns, id).toBeUndefined();
        for (const statement of statements(id)) {
          expect(statement.Effect).toBe("Allow");
          for (const action of [statement.Action].flat()) expect(action).not.toContain("*");
          expect(statement.Resource).not.toBe("*");
        }
      }
    });

    it("lets the API only send to its queue", () => {
      expect(actions("ApiRole")).toEqual(["sqs:SendMessage"]);
      expect(statements("ApiRole")[0]!.Resource).toEqual({ "Fn::GetAtt": ["Queue", "Arn"] });
      expect(JSON.stringify(props("ApiRole").AssumeRolePolicyDocument)).toContain("apigateway.amazonaws.com");
    });

    it("lets the function only consume its queue (exactly Lambda's documented SQS permissions), write its logs and post to its stage", () => {
      expect(actions("FunctionRole")).toEqual([
        "execute-api:ManageConnections",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
      ]);
      const byAction = (action: string) => statements("FunctionRole").find((s) => [s.Action].flat().includes(action))!.Resource;
      expect(byAction("sqs:ReceiveMessage")).toEqual({ "Fn::GetAtt": ["Queue", "Arn"] });
      expect(byAction("logs:PutLogEvents")).toEqual({
        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${FunctionLogGroup}:log-stream:*",
      });
      expect(byAction("execute-api:ManageConnections")).toEqual({
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/${StageName}/POST/@connections/*",
      });
      expect(JSON.stringify(props("FunctionRole").AssumeRolePolicyDocument)).toContain("lambda.amazonaws.com");
    });

    it("creates the event source mapping only after the queue permissions, which are a policy of their own", () => {
      const policy = r.FunctionQueuePolicy!;
      expect(policy.Type).toBe("AWS::IAM::Policy");
      expect(policy.Properties?.Roles).toEqual([{ Ref: "FunctionRole" }]);
      expect(JSON.stringify(policy.Properties?.PolicyDocument)).toContain("sqs:ReceiveMessage");
      expect(JSON.stringify(props("FunctionRole").Policies)).not.toContain("sqs:");
      expect([r.EventSourceMapping!.DependsOn].flat()).toContain("FunctionQueuePolicy");
    });
  });
});

describe("the asset bucket template", () => {
  const bucket = assets.Resources.AssetBucket!;
  it("encrypts, blocks public access and leaves the name to CloudFormation", () => {
    expect(bucket.Type).toBe("AWS::S3::Bucket");
    expect(bucket.Properties?.BucketName).toBeUndefined();
    expect(bucket.Properties?.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] });
    expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(assets.Outputs?.AssetBucketName?.Value).toEqual({ Ref: "AssetBucket" });
  });

  it("refuses plain HTTP to the bucket and its objects", () => {
    const policy = assets.Resources.AssetBucketPolicy!;
    expect(policy.Type).toBe("AWS::S3::BucketPolicy");
    expect(policy.Properties?.Bucket).toEqual({ Ref: "AssetBucket" });
    expect((policy.Properties?.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [{ "Fn::GetAtt": ["AssetBucket", "Arn"] }, { "Fn::Sub": "${AssetBucket.Arn}/*" }],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });
});
