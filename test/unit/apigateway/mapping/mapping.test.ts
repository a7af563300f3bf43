import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  evaluateSelection,
  evaluateSelectionExpression,
  InvalidJsonBodyError,
  MappingTemplateError,
  renderMappingTemplate,
  resolveParameterValue,
  selectKey,
} from "../../../../src/local/apigateway/mapping/index.js";
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

  it("falls back to the connection id as the group when the frame names none, and queues the frame as sent", () => {
    const form = new URLSearchParams(renderMappingTemplate(shippedRequestTemplate(), { body: '{"data": "hello world"}', context }));
    expect(form.get("MessageGroupId")).toBe("abc=");
    // $input.body: the frame verbatim, whitespace included (no re-serialization).
    expect(form.get("MessageBody")).toBe('{"data": "hello world"}');
  });

  it("renders the brief's frames: with a group, and without one (the connection's group)", () => {
    const template = shippedRequestTemplate();
    const withGroup = new URLSearchParams(
      renderMappingTemplate(template, { body: '{"action":"sendmessage","data":"a&b=c ü","MessageGroupId":"g 1"}', context }),
    );
    expect(withGroup.get("MessageGroupId")).toBe("g 1");
    expect(withGroup.get("MessageBody")).toBe('{"action":"sendmessage","data":"a&b=c ü","MessageGroupId":"g 1"}');
    expect([...withGroup.keys()]).toHaveLength(13);
    const without = new URLSearchParams(renderMappingTemplate(template, { body: '{"action":"sendmessage","data":"a&b=c ü"}', context }));
    expect(without.get("MessageGroupId")).toBe("abc=");
    expect(without.get("MessageDeduplicationId")).toBe("r-1");
    expect(without.get("MessageBody")).toBe('{"action":"sendmessage","data":"a&b=c ü"}');
  });

  it("encodes '+', '=', '&', '%' and non-ASCII so no value leaks into another form field", () => {
    const rendered = renderMappingTemplate(shippedRequestTemplate(), { body: '{"MessageGroupId":"a+b=c&d%e ü"}', context });
    expect(rendered).toContain("&MessageGroupId=a%2Bb%3Dc%26d%25e+%C3%BC&");
    expect(rendered).toContain("&MessageAttribute.1.Value.StringValue=abc%3D&");
  });

  it("treats a JSON null or empty group like a missing one", () => {
    for (const group of ["null", '""']) {
      const form = new URLSearchParams(renderMappingTemplate(shippedRequestTemplate(), { body: `{"MessageGroupId":${group}}`, context }));
      expect(form.get("MessageGroupId")).toBe("abc=");
    }
  });

  it("uses a numeric or object group as its text", () => {
    expect(new URLSearchParams(renderMappingTemplate(shippedRequestTemplate(), { body: '{"MessageGroupId":7}', context })).get("MessageGroupId")).toBe("7");
  });

  it("queues frames that are not JSON objects (text, numbers, arrays) verbatim in the connection's group", () => {
    for (const body of ["plain text & more=1", "42", '[1, {"MessageGroupId": "x"}]', '"quoted"', "true", "null", " \u00a0{ looks like an object }"]) {
      const form = new URLSearchParams(renderMappingTemplate(shippedRequestTemplate(), { body, context }));
      expect(form.get("MessageBody"), body).toBe(body);
      expect(form.get("MessageGroupId"), body).toBe("abc=");
    }
  });

  it("fails a frame that starts like an object but is not JSON, as the strict reading of $input.path does ('Could not parse request body into json')", () => {
    for (const body of ["{ not json", ' \t\n{"MessageGroupId": "g"} trailing', "\u0001{}"]) {
      expect(() => renderMappingTemplate(shippedRequestTemplate(), { body, context }), JSON.stringify(body)).toThrow(InvalidJsonBodyError);
    }
    expect(() => renderMappingTemplate(shippedRequestTemplate(), { body: "{ not json", context })).toThrow(/Could not parse request body into json/);
    // Leading JSON whitespace is fine, as Java's trim() and JSON agree on it.
    expect(
      new URLSearchParams(renderMappingTemplate(shippedRequestTemplate(), { body: ' \r\n\t{"MessageGroupId": "g"}', context })).get("MessageGroupId"),
    ).toBe("g");
  });

  it("renders an empty frame with an empty body, which SQS refuses (a message needs at least one character)", () => {
    const form = new URLSearchParams(renderMappingTemplate(shippedRequestTemplate(), { body: "", context }));
    expect(form.get("MessageBody")).toBe("");
    expect(form.get("MessageGroupId")).toBe("abc=");
  });

  it("breaks under the strict typing when numbers are passed to $util.urlEncode (the earlier template did), and the shipped one does not", () => {
    const earlier = shippedRequestTemplate().replace("$context.requestTimeEpoch", "$util.urlEncode($context.requestTimeEpoch)").replace('"$group"', "$group");
    const rendered = renderMappingTemplate(earlier, { body: '{"MessageGroupId": 7}', context });
    expect(rendered).toContain("&MessageGroupId=$util.urlEncode($group)&");
    expect(rendered).toContain("&MessageAttribute.3.Value.StringValue=$util.urlEncode($context.requestTimeEpoch)&");
    const shipped = new URLSearchParams(renderMappingTemplate(shippedRequestTemplate(), { body: '{"MessageGroupId": 7}', context }));
    expect(shipped.get("MessageGroupId")).toBe("7");
    expect(shipped.get("MessageAttribute.3.Value.StringValue")).toBe("1732500000000");
  });

  it("keeps deep nesting and unicode (astral, combining, RTL) intact", () => {
    let deep: unknown = "leaf ✓";
    for (let i = 0; i < 200; i++) deep = { n: [deep] };
    const frame = { data: deep, emoji: '😀 e\u0301 שלום \u0000\n\t"', MessageGroupId: "grüppe 😀" };
    const form = new URLSearchParams(renderMappingTemplate(shippedRequestTemplate(), { body: JSON.stringify(frame), context }));
    expect(JSON.parse(form.get("MessageBody")!)).toEqual(frame);
    expect(form.get("MessageGroupId")).toBe("grüppe 😀");
  });

  it("round-trips any body and group id through the form encoding", () => {
    const template = shippedRequestTemplate();
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        fc.string({ unit: "binary", minLength: 1 }).filter((g) => !/\p{Surrogate}/u.test(g)),
        (data, group) => {
          const frame = { data, MessageGroupId: group };
          const form = new URLSearchParams(renderMappingTemplate(template, { body: JSON.stringify(frame), context }));
          return form.get("MessageGroupId") === group && form.get("MessageBody") === JSON.stringify(frame) && form.get("Action") === "SendMessage";
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("$input, $context, $util", () => {
  const body = JSON.stringify({ a: { b: [1, { c: "x" }] }, "odd key": true, n: null });

  it("selects with the JSONPath subset and renders missing references as empty text", () => {
    expect(
      renderMappingTemplate("$input.json('$.a.b[1]')|$input.path('$.a.b[1].c')|$input.path(\"$['odd key']\")|$input.path('$.missing')|$context.nope|", {
        body,
        context,
      }),
    ).toBe('{"c":"x"}|x|true|||');
    expect(renderMappingTemplate("$input.body", { body: "raw", context })).toBe("raw");
    expect(renderMappingTemplate("$input.json('$.n')", { body, context })).toBe("null");
  });

  it("offers $util and $stageVariables", () => {
    const rendered = renderMappingTemplate(
      "$util.escapeJavaScript($input.path('$.t'))|$util.base64Encode('hé')|$util.base64Decode('aMOp')|$util.urlDecode('a+b%26')|$util.parseJson('{\"k\":[7]}').k[0]|$stageVariables.env",
      { body: JSON.stringify({ t: 'it\'s "q"\n/é' }), context, stageVariables: { env: "dev" } },
    );
    expect(rendered).toBe('it\\\'s \\"q\\"\\n\\/\\u00E9|aMOp|hé|a b&|7|dev');
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

describe("strict typing: $util string functions take strings", () => {
  const typed = { ...context, connectedAt: 1732499990000 };
  const body = JSON.stringify({ n: 5, b: true, o: { k: "v" }, l: [1], s: "x y", nul: null });

  it("renders a $util call with a number, boolean, map, list or null argument as its own text, as an unresolvable Velocity method", () => {
    for (const fn of ["urlEncode", "urlDecode", "escapeJavaScript", "base64Encode", "base64Decode", "parseJson"]) {
      for (const argument of [
        "$context.requestTimeEpoch",
        "$context.connectedAt",
        "$input.path('$.n')",
        "$input.path('$.b')",
        "$input.path('$.o')",
        "$input.path('$.l')",
        "$input.path('$.nul')",
        "$input.path('$.missing')",
      ]) {
        const reference = `$util.${fn}(${argument})`;
        expect(renderMappingTemplate(`[${reference}]`, { body, context: typed })).toBe(`[${reference}]`);
      }
    }
  });

  it("renders nothing for the quiet form, and gives no value to #set, #if or an enclosing call", () => {
    expect(renderMappingTemplate("[$!util.urlEncode($context.requestTimeEpoch)]", { body, context: typed })).toBe("[]");
    expect(renderMappingTemplate("#set($x = 'prev')#set($x = $util.urlEncode($input.path('$.n')))[$x]", { body, context: typed })).toBe("[prev]");
    expect(renderMappingTemplate("#if($util.base64Encode($input.path('$.n')))yes#{else}no#end", { body, context: typed })).toBe("no");
    expect(renderMappingTemplate("[$util.urlEncode($context.connectedAt).length()]", { body, context: typed })).toBe(
      "[$util.urlEncode($context.connectedAt).length()]",
    );
  });

  it("takes the same values as text once quoted, and strings as they are", () => {
    expect(
      renderMappingTemplate(
        "$util.urlEncode(\"$context.requestTimeEpoch\")|$util.urlEncode(\"$input.path('$.n')\")|$util.urlEncode($input.path('$.s'))|$util.base64Encode(\"$input.path('$.b')\")|$util.escapeJavaScript(\"$input.path('$.o')\")",
        { body, context: typed },
      ),
    ).toBe("1732500000000|5|x+y|dHJ1ZQ==|{k=v}");
  });

  it("keeps the context's numeric variables numbers (requestTimeEpoch, connectedAt)", () => {
    expect(renderMappingTemplate("$context.requestTimeEpoch|#set($t = $context.requestTimeEpoch + 1)$t|$context.connectedAt", { body, context: typed })).toBe(
      "1732500000000|1732500000001|1732499990000",
    );
  });

  it("offers Java's trim(), which strips controls but not Unicode spaces, startsWith() and endsWith()", () => {
    expect(
      renderMappingTemplate("[$input.body.trim()]|$input.body.trim().startsWith('{')|$input.body.endsWith(' ')", { body: "\u0001 {x} \u00a0", context }),
    ).toBe("[{x} \u00a0]|true|false");
    expect(renderMappingTemplate("$input.body.startsWith('b', 1)", { body: "abc", context })).toBe("true");
  });
});

describe("util functions match Java's", () => {
  it("urlEncode is java.net.URLEncoder (space as '+', '*' kept, '~' escaped)", () => {
    expect(urlEncode("a b*~-_.!'()&=+/é")).toBe("a+b*%7E-_.%21%27%28%29%26%3D%2B%2F%C3%A9");
    expect(urlEncode(undefined)).toBe("");
    expect(urlEncode(12)).toBe("12");
  });

  it("urlEncode agrees with an independent form-encoding oracle on any well-formed string", () => {
    // URLEncoder = encodeURIComponent, except that it also escapes !'()~ and writes space as '+'.
    const oracle = (text: string) =>
      encodeURIComponent(text)
        .replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())
        .replace(/%20/g, "+");
    const wellFormed = fc.string({ unit: "binary" }).filter((text) => !/\p{Surrogate}/u.test(text));
    fc.assert(
      fc.property(wellFormed, (text) => urlEncode(text) === oracle(text)),
      { numRuns: 300 },
    );
  });

  it("urlDecode inverts urlEncode for any well-formed string, and URLSearchParams reads it back", () => {
    const wellFormed = fc.string({ unit: "binary" }).filter((text) => !/\p{Surrogate}/u.test(text));
    fc.assert(
      fc.property(wellFormed, (text) => urlDecode(urlEncode(text)) === text && new URLSearchParams("v=" + urlEncode(text)).get("v") === text),
      { numRuns: 300 },
    );
  });

  it("urlEncode writes a lone surrogate as '?', urlDecode replaces invalid UTF-8 and refuses broken escapes, as Java does", () => {
    expect(urlEncode("a\uD800b")).toBe("a%3Fb");
    expect(urlDecode("%FFx%C3%A9")).toBe("\uFFFDxé");
    expect(() => urlDecode("100%")).toThrow(MappingTemplateError);
    expect(() => urlDecode("%zz")).toThrow(/illegal escape/);
    expect(() => renderMappingTemplate("$util.urlDecode('%g1')", { body: "{}", context })).toThrow(MappingTemplateError);
  });

  it("escapeJavaScript escapes quotes, slashes, controls and non-ASCII (surrogates as two escapes)", () => {
    expect(escapeJavaScript("\u0001\t😀")).toBe("\\u0001\\t\\uD83D\\uDE00");
    expect(escapeJavaScript("\u007f~ \u00ff\u0100\u1234")).toBe("\u007f~ \\u00FF\\u0100\\u1234");
  });
});

describe("JSONPath subset", () => {
  it("parses members, quoted members and indexes, and refuses the rest", () => {
    expect(parseJsonPath("$.a['b.c'][2].d")).toEqual(["a", "b.c", 2, "d"]);
    expect(parseJsonPath("$")).toEqual([]);
    expect(parseJsonPath("a.b")).toBeUndefined();
    expect(parseJsonPath("$.a[?(@.x)]")).toBeUndefined();
    expect(parseJsonPath("$.a[0:2]")).toBeUndefined();
    expect(parseJsonPath("$.a.")).toBeUndefined();
    expect(parseJsonPath("$..a")).toEqual([{ deep: "a" }]);
  });

  it("selects lists with wildcards and deep scan, and counts indexes from the end when negative", () => {
    const doc = { a: [{ id: 1, x: { id: 2 } }, { id: 3 }], b: { id: 4 } };
    expect(selectJsonPath(doc, "$.a[*].id")).toEqual([1, 3]);
    expect(selectJsonPath(doc, "$.b.*")).toEqual([4]);
    expect(selectJsonPath(doc, "$..id")).toEqual([1, 2, 3, 4]);
    expect(selectJsonPath(doc, "$.a[-1].id")).toBe(3);
    expect(selectJsonPath(doc, "$.nothing[*]")).toEqual([]);
    expect(renderMappingTemplate("$input.json('$.a[*].id')|#foreach($i in $input.path('$..id'))$i#end", { body: JSON.stringify(doc), context })).toBe(
      "[1,3]|1234",
    );
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
    expect(evaluateSelectionExpression("$request.body.action", { body: '{"action":null}' })).toBeUndefined();
    expect(evaluateSelectionExpression("$request.body.items[1].type", { body: '{"items":[{},{"type":"b"}]}' })).toBe("b");
  });

  it("interpolates several variables once, with literal text and escaped dollars around them", () => {
    const body = '{"version":"2","action":"$request.body.version"}';
    expect(evaluateSelectionExpression("${request.body.version}-beta", { body })).toBe("2-beta");
    expect(evaluateSelectionExpression("$request.body.action:${request.body.version}", { body })).toBe("$request.body.version:2");
    expect(evaluateSelectionExpression("\\$request.body.version", { body })).toBe("$request.body.version");
    expect(evaluateSelectionExpression("${request.body.missing}-beta", { body })).toBeUndefined();
    expect(
      evaluateSelectionExpression("$request.header.X-Api-Key|$request.querystring.v|$stageVariables.s", {
        body,
        headers: { "x-api-key": "k" },
        query: { v: "1" },
        stageVariables: { s: "st" },
      }),
    ).toBe("k|1|st");
  });

  it("picks keys exactly, then by /pattern/, then $default", () => {
    expect(selectKey("sendmessage", ["sendmessage", "$default"])).toBe("sendmessage");
    expect(selectKey("404", ["/2\\d\\d/", "/4\\d\\d/", "$default"])).toBe("/4\\d\\d/");
    expect(selectKey("2000", ["/2\\d\\d/", "$default"])).toBe("$default");
    expect(selectKey(undefined, ["a", "$default"])).toBe("$default");
    expect(selectKey("x", ["a"])).toBeUndefined();
    expect(evaluateSelection("${integration.response.statuscode}", { body: "", integrationStatusCode: 502 })).toBe("502");
  });
});

describe("request parameter mapping", () => {
  const request = {
    headers: { "X-Trace": "t1" },
    query: { q: "1" },
    context: { connectionId: "c=", identity: { sourceIp: "127.0.0.1" } },
    stageVariables: { v: "s" },
  };

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

describe("Java Velocity behaviour on velocityjs", () => {
  const body = JSON.stringify({ n: null, s: "a,b,,", o: { k: 1 }, xs: [1, 2] });

  it("keeps a variable's previous value when #set is given null (Velocity 1.7)", () => {
    expect(renderMappingTemplate("#set($x = 'prev')#set($x = $input.path('$.n'))[$x]", { body, context })).toBe("[prev]");
    expect(renderMappingTemplate("#set($x = 'prev')#set($x = $input.path('$.missing'))[$x]", { body, context })).toBe("[prev]");
    expect(renderMappingTemplate("#set($x = 'prev')#set($x = '')[$x]", { body, context })).toBe("[]");
    // The classic loop pitfall: a null inside #foreach does not clear the variable.
    expect(renderMappingTemplate("#foreach($v in $input.path('$.vs'))#set($y = $v.k)$!y,#end", { body: '{"vs":[{"k":"a"},{},{"k":"c"}]}', context })).toBe(
      "a,a,c,",
    );
  });

  it("evaluates an interpolated string afresh in each render and each loop pass (its parse is reused)", () => {
    const template =
      '#foreach($x in $input.path(\'$.xs\'))#set($s = "${x}:$context.connectionId")$s;#end#if("$!input.path(\'$.g\')" == "")none#{else}"$input.path(\'$.g\')"#end';
    expect(renderMappingTemplate(template, { body: '{"xs":[1,2],"g":"a"}', context })).toBe('1:abc=;2:abc=;"a"');
    expect(renderMappingTemplate(template, { body: '{"xs":[3]}', context: { ...context, connectionId: "zz" } })).toBe("3:zz;none");
  });

  it("renders null and missing references as empty text, with or without '!'", () => {
    expect(renderMappingTemplate("[$input.path('$.n')][$!{input.path('$.n')}][$context.nope.deeper][$stageVariables.none]", { body, context })).toBe(
      "[][][][]",
    );
  });

  it("offers the Java String, Map and List methods templates call", () => {
    expect(
      renderMappingTemplate(
        "$input.path('$.s').length()|$input.path('$.s').split(',').size()|$input.path('$.s').replaceAll('[ab]','x')|$input.path('$.s').replace(',', ';')|$input.path('$.s').isEmpty()|$input.path('$.s').contains('b,')|$input.path('$.s').matches('[a-z,]+')",
        { body, context },
      ),
    ).toBe("5|2|x,x,,|a;b;;|false|true|true");
    expect(
      renderMappingTemplate(
        "#set($o = $input.path('$.o'))$o.containsKey('k')|$o.size()|$o.keySet()|$o|$input.path('$.xs').contains(2)|$input.path('$.xs').isEmpty()",
        { body, context },
      ),
    ).toBe("true|1|[k]|{k=1}|true|false");
  });

  it("prints maps and lists the way Java does", () => {
    expect(renderMappingTemplate("$input.path('$')", { body, context })).toBe("{n=null, s=a,b,,, o={k=1}, xs=[1, 2]}");
  });

  it("never writes into the caller's context", () => {
    const mine = { connectionId: "c", identity: { sourceIp: "1.2.3.4" } };
    expect(
      renderMappingTemplate("#set($context.connectionId = 'zz')#set($context.identity.sourceIp = 'x')$context.identity.get('sourceIp')$context.connectionId", {
        body,
        context: mine,
      }),
    ).toBe("xzz");
    expect(mine).toEqual({ connectionId: "c", identity: { sourceIp: "1.2.3.4" } });
  });

  it("gives $input.params() the path, query string and headers, and $input.params(name) looks them up in that order", () => {
    const params = { header: { Host: "h", q: "from-header" }, querystring: { q: "1" } };
    expect(
      renderMappingTemplate("$input.params('q')|$input.params('HOST')|$input.params().header.Host|$input.params().keySet()|$input.params('none')", {
        body,
        context,
        params,
      }),
    ).toBe("1|h|h|[path, querystring, header]|");
    expect(renderMappingTemplate("$input.params().querystring.size()", { body, context })).toBe("0");
  });

  it("selects from a non-JSON body only when the template asks for JSON", () => {
    expect(renderMappingTemplate("$input.body|$util.urlEncode($input.body)", { body: "a b&c", context })).toBe("a b&c|a+b%26c");
    expect(() => renderMappingTemplate("$input.json('$')", { body: "{oops", context })).toThrow(InvalidJsonBodyError);
    expect(new InvalidJsonBodyError("x")).toBeInstanceOf(MappingTemplateError);
  });
});

describe("templates in the shape AWS's examples use", () => {
  it("renders a pass-everything template with #foreach, $foreach.hasNext and escapeJavaScript into valid JSON", () => {
    const template = [
      "#set($allParams = $input.params())",
      "{",
      "\"body\": $input.json('$'),",
      '"params": {',
      "#foreach($type in $allParams.keySet())",
      "#set($params = $allParams.get($type))",
      '"$type": {',
      "#foreach($name in $params.keySet())",
      '"$name": "$util.escapeJavaScript($params.get($name))"#if($foreach.hasNext),#end',
      "#end",
      "}#if($foreach.hasNext),#end",
      "#end",
      "},",
      '"connectionId": "$context.connectionId",',
      '"sourceIp": "$context.identity.sourceIp"',
      "}",
    ].join("\n");
    const rendered = renderMappingTemplate(template, {
      body: '{"a":[1,{"b":"ü"}]}',
      context: { connectionId: "abc=", identity: { sourceIp: "127.0.0.1" } },
      params: { header: { "Sec-WebSocket-Key": 'k"1', Host: "localhost" }, querystring: { token: "t" } },
    });
    expect(JSON.parse(rendered)).toEqual({
      body: { a: [1, { b: "ü" }] },
      params: { path: {}, querystring: { token: "t" }, header: { "Sec-WebSocket-Key": 'k"1', Host: "localhost" } },
      connectionId: "abc=",
      sourceIp: "127.0.0.1",
    });
  });

  it("supports #macro, #elseif, #break-free loops over ranges, and math", () => {
    const template = "#macro(tag $v)<$v>#end#foreach($i in [1..3])#if($i == 1)#tag('one')#elseif($i == 2)#tag($i)#{else}#set($n = $i * 10)$n#end#end";
    expect(renderMappingTemplate(template, { body: "{}", context })).toBe("<one><2>30");
  });
});
