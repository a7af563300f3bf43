import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluateSelectionExpression, MappingTemplateError, renderMappingTemplate, resolveParameterValue } from "../../../../src/local/apigateway/mapping/index.js";
import { parseJsonPath, selectJsonPath } from "../../../../src/local/apigateway/mapping/json-path.js";
import { escapeJavaScript, urlDecode, urlEncode } from "../../../../src/local/apigateway/mapping/util.js";
import { parseTemplateBody } from "../../../../src/local/cloudformation/template/parse.js";

/** The request template the shipped CloudFormation template gives the SQS integration. */
function shippedRequestTemplate(): string {
  const template = parseTemplateBody(readFileSync(new URL("../../../../templates/wsq.yaml", import.meta.url), "utf8"));
  const resources = template.Resources as Record<string, { Properties: { RequestTemplates: Record<string, { "Fn::Join": [string, string[]] }> } }>;
  const join = resources.QueueIntegration!.Properties.RequestTemplates.$default!["Fn::Join"];
  return join[1].join(join[0]);
}

const context = { connectionId: "abc=", requestId: "r-1", requestTimeEpoch: 1732500000000 };

describe("the shipped SQS request template", () => {
  it("renders a SendMessage form whose every value survives the encoding", () => {
    const frame = { action: "sendmessage", data: "a&b=c ü+%", MessageGroupId: "g 1&x=y" };
    const form = new URLSearchParams(renderMappingTemplate(shippedRequestTemplate(), { body: JSON.stringify(frame), context }));
    expect(Object.fromEntries(form)).toEqual({
      Action: "SendMessage",
      MessageGroupId: "g 1&x=y",
      MessageDeduplicationId: "r-1",
      "MessageAttribute.1.Name": "connectionId",
      "MessageAttribute.1.Value.DataType": "String",
      "MessageAttribute.1.Value.StringValue": "abc=",
      "MessageAttribute.2.Name": "requestId",
      "MessageAttribute.2.Value.DataType": "String",
      "MessageAttribute.2.Value.StringValue": "r-1",
      "MessageAttribute.3.Name": "requestTimeEpoch",
      "MessageAttribute.3.Value.DataType": "Number",
      "MessageAttribute.3.Value.StringValue": "1732500000000",
      MessageBody: JSON.stringify(frame),
    });
  });

  it("falls back to the connection id as the group when the frame names none", () => {
    const form = new URLSearchParams(renderMappingTemplate(shippedRequestTemplate(), { body: '{"data": "hello world"}', context }));
    expect(form.get("MessageGroupId")).toBe("abc=");
    // $input.json('$') re-serializes: whitespace between tokens is gone, as on API Gateway.
    expect(form.get("MessageBody")).toBe('{"data":"hello world"}');
  });

  it("sends a non-JSON frame as one JSON string in the connection's group", () => {
    const form = new URLSearchParams(renderMappingTemplate(shippedRequestTemplate(), { body: "plain text & more", context }));
    expect(form.get("MessageGroupId")).toBe("abc=");
    expect(JSON.parse(form.get("MessageBody")!)).toBe("plain text & more");
  });

  it("round-trips any body and group id through the form encoding", () => {
    const template = shippedRequestTemplate();
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (data, group) => {
        const frame = { data, MessageGroupId: group };
        const form = new URLSearchParams(renderMappingTemplate(template, { body: JSON.stringify(frame), context }));
        return form.get("MessageGroupId") === group && form.get("MessageBody") === JSON.stringify(frame) && form.get("Action") === "SendMessage";
      }),
      { numRuns: 300 },
    );
  });
});

describe("$input, $context, $util", () => {
  const body = JSON.stringify({ a: { b: [1, { c: "x" }] }, "odd key": true, n: null });

  it("selects with the JSONPath subset and renders missing references as empty text", () => {
    expect(renderMappingTemplate("$input.json('$.a.b[1]')|$input.path('$.a.b[1].c')|$input.path(\"$['odd key']\")|$input.path('$.missing')|$context.nope|", { body, context })).toBe(
      '{"c":"x"}|x|true|||',
    );
    expect(renderMappingTemplate("$input.body", { body: "raw", context })).toBe("raw");
    expect(renderMappingTemplate("$input.json('$.n')", { body, context })).toBe("null");
  });

  it("offers $util and $stageVariables", () => {
    const rendered = renderMappingTemplate(
      "$util.escapeJavaScript($input.path('$.t'))|$util.base64Encode('hé')|$util.base64Decode('aMOp')|$util.urlDecode('a+b%26')|$util.parseJson('{\"k\":[7]}').k[0]|$stageVariables.env",
      { body: JSON.stringify({ t: "it's \"q\"\n/é" }), context, stageVariables: { env: "dev" } },
    );
    expect(rendered).toBe("it\\'s \\\"q\\\"\\n\\/\\u00E9|aMOp|hé|a b&|7|dev");
  });

  it("evaluates Velocity control flow, including #{end} directly before text", () => {
    const template = "#set($g = $input.path('$.g'))#if(\"$!g\" == \"\")#set($g = 'none')#{end}G=$g;#foreach($x in $input.path('$.xs'))$x,#end";
    expect(renderMappingTemplate(template, { body: '{"xs":[1,2]}', context })).toBe("G=none;1,2,");
    expect(renderMappingTemplate(template, { body: '{"g":"k","xs":[]}', context })).toBe("G=k;");
  });

  it("refuses a template that does not parse, naming it as a mapping template error", () => {
    expect(() => renderMappingTemplate("#if(", { body: "{}", context })).toThrow(MappingTemplateError);
    expect(() => renderMappingTemplate("$util.parseJson('nope')", { body: "{}", context })).toThrow(/parseJson/);
    expect(() => renderMappingTemplate("x".repeat(300 * 1024 + 1), { body: "{}", context })).toThrow(/exceeds/);
  });
});

describe("util functions match Java's", () => {
  it("urlEncode is java.net.URLEncoder (space as '+', '*' kept, '~' escaped)", () => {
    expect(urlEncode("a b*~-_.!'()&=+/é")).toBe("a+b*%7E-_.%21%27%28%29%26%3D%2B%2F%C3%A9");
    expect(urlEncode(undefined)).toBe("");
    expect(urlEncode(12)).toBe("12");
  });

  it("urlDecode inverts urlEncode for any string", () => {
    fc.assert(fc.property(fc.string(), (text) => urlDecode(urlEncode(text)) === text), { numRuns: 300 });
  });

  it("escapeJavaScript escapes quotes, slashes, controls and non-ASCII (surrogates as two escapes)", () => {
    expect(escapeJavaScript("\u0001\t😀")).toBe("\\u0001\\t\\uD83D\\uDE00");
  });
});

describe("JSONPath subset", () => {
  it("parses members, quoted members and indexes, and refuses the rest", () => {
    expect(parseJsonPath("$.a['b.c'][2].d")).toEqual(["a", "b.c", 2, "d"]);
    expect(parseJsonPath("$")).toEqual([]);
    expect(parseJsonPath("a.b")).toBeUndefined();
    expect(parseJsonPath("$..a")).toBeUndefined();
    expect(parseJsonPath("$.a[?(@.x)]")).toBeUndefined();
  });

  it("selects nothing through the wrong types or inherited properties", () => {
    expect(selectJsonPath({ a: [1] }, "$.a.length")).toBeUndefined();
    expect(selectJsonPath({ a: {} }, "$.a[0]")).toBeUndefined();
    expect(selectJsonPath({}, "$.constructor")).toBeUndefined();
  });
});

describe("selection expressions", () => {
  it("selects route keys from the body, and treats escaped or plain text as literal", () => {
    expect(evaluateSelectionExpression("$request.body.action", { body: '{"action":"send"}' })).toBe("send");
    expect(evaluateSelectionExpression("${request.body.meta.kind}", { body: '{"meta":{"kind":3}}' })).toBe("3");
    expect(evaluateSelectionExpression("$request.body.action", { body: "not json" })).toBeUndefined();
    expect(evaluateSelectionExpression("$request.body.action", { body: '{"other":1}' })).toBeUndefined();
    expect(evaluateSelectionExpression("\\$default", { body: "{}" })).toBe("$default");
    expect(evaluateSelectionExpression("$context.routeKey", { body: "{}", context: { routeKey: "$default" } })).toBe("$default");
  });
});

describe("request parameter mapping", () => {
  const request = { headers: { "X-Trace": "t1" }, query: { q: "1" }, context: { connectionId: "c=", identity: { sourceIp: "127.0.0.1" } }, stageVariables: { v: "s" } };

  it("resolves static values, headers (any case), query strings, context and stage variables", () => {
    expect(resolveParameterValue("'application/x-www-form-urlencoded'", request)).toBe("application/x-www-form-urlencoded");
    expect(resolveParameterValue("route.request.header.x-trace", request)).toBe("t1");
    expect(resolveParameterValue("route.request.querystring.q", request)).toBe("1");
    expect(resolveParameterValue("context.identity.sourceIp", request)).toBe("127.0.0.1");
    expect(resolveParameterValue("stageVariables.v", request)).toBe("s");
    expect(resolveParameterValue("route.request.header.missing", request)).toBeUndefined();
    expect(resolveParameterValue("nonsense", request)).toBeUndefined();
  });
});
