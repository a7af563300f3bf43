/**
 * Query protocol adapter: form-encoded `Action=...` requests, XML replies in the 2012-11-05
 * namespace. API Gateway's AWS integration POSTs exactly this to the queue URL path
 * (`/ACCOUNT/QUEUE`), so the queue may come from the path instead of a QueueUrl parameter.
 * Nested parameters use the Query flattening (`MessageAttribute.1.Value.StringValue`,
 * `SendMessageBatchRequestEntry.2.Id`, `AttributeName.1`), decoded here into SDK-shaped input.
 */
import type * as sqs from "@aws-sdk/client-sqs";
import type { HttpHandler, LocalRequest, LocalResponse } from "../server/http-types.js";
import { headerValue } from "../server/http-types.js";
import { el, emptyEl, optionalEl, xmlConcat, xmlDocument, type Xml } from "../server/xml.js";
import { AwsServiceError, isAwsServiceError } from "../aws-error.js";
import type { LocalLogger } from "../context.js";
import { SQS_ACTIONS } from "./actions.js";
import { sqsErrors } from "./errors.js";
import type { SqsService } from "./service.js";

const NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/";

// ------------------------------------------------------------------ decoding
/** A tree of the dotted parameter names: `A.1.B=x` → { A: { "1": { B: "x" } } }. */
export type ParamTree = { [key: string]: ParamTree | string };

export function parseParams(pairs: Iterable<[string, string]>): ParamTree {
  const root: ParamTree = {};
  for (const [key, value] of pairs) {
    const parts = key.split(".");
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i] as string;
      const next = node[part];
      if (typeof next === "object") node = next;
      else {
        const created: ParamTree = {};
        node[part] = created;
        node = created;
      }
    }
    const last = parts[parts.length - 1] as string;
    if (typeof node[last] !== "object") node[last] = value;
  }
  return root;
}

function str(node: ParamTree | string | undefined): string | undefined {
  return typeof node === "string" ? node : undefined;
}

/** Members `.1`, `.2`, … of a flattened list, in index order. */
function members(node: ParamTree | string | undefined): (ParamTree | string)[] {
  if (typeof node !== "object") return [];
  return Object.keys(node)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => node[k] as ParamTree | string);
}

function stringList(node: ParamTree | string | undefined): string[] | undefined {
  const list = members(node)
    .map(str)
    .filter((v): v is string => v !== undefined);
  return list.length === 0 ? undefined : list;
}

function nameValueMap(node: ParamTree | string | undefined, keyField: string, valueField: string): Record<string, string> | undefined {
  const entries = members(node).filter((m): m is ParamTree => typeof m === "object");
  if (entries.length === 0) return undefined;
  const map: Record<string, string> = {};
  for (const entry of entries) {
    const key = str(entry[keyField]);
    if (key !== undefined) map[key] = str(entry[valueField]) ?? "";
  }
  return map;
}

function messageAttributes(node: ParamTree | string | undefined): Record<string, sqs.MessageAttributeValue> | undefined {
  const entries = members(node).filter((m): m is ParamTree => typeof m === "object");
  if (entries.length === 0) return undefined;
  const map: Record<string, sqs.MessageAttributeValue> = {};
  for (const entry of entries) {
    const name = str(entry.Name);
    if (name === undefined) throw sqsErrors.invalidParameterValue("Message attribute name is missing.");
    const value = typeof entry.Value === "object" ? entry.Value : {};
    const binary = str(value.BinaryValue);
    map[name] = {
      DataType: str(value.DataType),
      StringValue: str(value.StringValue),
      BinaryValue: binary === undefined ? undefined : Buffer.from(binary, "base64"),
    };
  }
  return map;
}

function messageFields(node: ParamTree): Record<string, unknown> {
  return {
    MessageBody: str(node.MessageBody),
    DelaySeconds: str(node.DelaySeconds),
    MessageAttributes: messageAttributes(node.MessageAttribute),
    MessageSystemAttributes: messageAttributes(node.MessageSystemAttribute),
    MessageDeduplicationId: str(node.MessageDeduplicationId),
    MessageGroupId: str(node.MessageGroupId),
  };
}

function entries(node: ParamTree | string | undefined, map: (entry: ParamTree) => Record<string, unknown>): Record<string, unknown>[] | undefined {
  const list = members(node).filter((m): m is ParamTree => typeof m === "object");
  return list.length === 0 ? undefined : list.map(map);
}

/** SDK-shaped input for an action, from the parameter tree. */
export function queryInput(action: string, p: ParamTree, queueUrl: string | undefined): Record<string, unknown> {
  const base = { QueueUrl: queueUrl };
  switch (action) {
    case "CreateQueue":
      return { QueueName: str(p.QueueName), Attributes: nameValueMap(p.Attribute, "Name", "Value"), tags: nameValueMap(p.Tag, "Key", "Value") };
    case "GetQueueUrl":
      return { QueueName: str(p.QueueName), QueueOwnerAWSAccountId: str(p.QueueOwnerAWSAccountId) };
    case "ListQueues":
      return { QueueNamePrefix: str(p.QueueNamePrefix), NextToken: str(p.NextToken), MaxResults: str(p.MaxResults) };
    case "GetQueueAttributes":
      return { ...base, AttributeNames: stringList(p.AttributeName) };
    case "SetQueueAttributes":
      return { ...base, Attributes: nameValueMap(p.Attribute, "Name", "Value") };
    case "TagQueue":
      return { ...base, Tags: nameValueMap(p.Tag, "Key", "Value") };
    case "UntagQueue":
      return { ...base, TagKeys: stringList(p.TagKey) };
    case "SendMessage":
      return { ...base, ...messageFields(p) };
    case "SendMessageBatch":
      return { ...base, Entries: entries(p.SendMessageBatchRequestEntry, (e) => ({ Id: str(e.Id), ...messageFields(e) })) };
    case "ReceiveMessage":
      return {
        ...base,
        AttributeNames: stringList(p.AttributeName),
        MessageSystemAttributeNames: stringList(p.MessageSystemAttributeName),
        MessageAttributeNames: stringList(p.MessageAttributeName),
        MaxNumberOfMessages: str(p.MaxNumberOfMessages),
        VisibilityTimeout: str(p.VisibilityTimeout),
        WaitTimeSeconds: str(p.WaitTimeSeconds),
        ReceiveRequestAttemptId: str(p.ReceiveRequestAttemptId),
      };
    case "DeleteMessage":
      return { ...base, ReceiptHandle: str(p.ReceiptHandle) };
    case "DeleteMessageBatch":
      return { ...base, Entries: entries(p.DeleteMessageBatchRequestEntry, (e) => ({ Id: str(e.Id), ReceiptHandle: str(e.ReceiptHandle) })) };
    case "ChangeMessageVisibility":
      return { ...base, ReceiptHandle: str(p.ReceiptHandle), VisibilityTimeout: str(p.VisibilityTimeout) };
    case "ChangeMessageVisibilityBatch":
      return {
        ...base,
        Entries: entries(p.ChangeMessageVisibilityBatchRequestEntry, (e) => ({
          Id: str(e.Id),
          ReceiptHandle: str(e.ReceiptHandle),
          VisibilityTimeout: str(e.VisibilityTimeout),
        })),
      };
    case "StartMessageMoveTask":
      return { SourceArn: str(p.SourceArn), DestinationArn: str(p.DestinationArn), MaxNumberOfMessagesPerSecond: str(p.MaxNumberOfMessagesPerSecond) };
    case "ListMessageMoveTasks":
      return { SourceArn: str(p.SourceArn), MaxResults: str(p.MaxResults) };
    case "CancelMessageMoveTask":
      return { TaskHandle: str(p.TaskHandle) };
    default:
      return base;
  }
}

// ------------------------------------------------------------------ encoding
/** SQS writes its Query replies with a bare declaration, all on one line. */
const SQS_XML_DECLARATION = '<?xml version="1.0"?>';

function batchErrors(failed: sqs.BatchResultErrorEntry[] | undefined): Xml[] {
  return (failed ?? []).map((f) =>
    el("BatchResultErrorEntry", [
      optionalEl("Id", f.Id),
      optionalEl("SenderFault", f.SenderFault),
      optionalEl("Code", f.Code),
      optionalEl("Message", f.Message),
    ]),
  );
}

function nameValue(wrapper: string, key: string, value: string): Xml {
  return el(wrapper, [optionalEl("Name", key), optionalEl("Value", value)]);
}

function messageXml(m: sqs.Message): Xml {
  const attributes = Object.entries(m.Attributes ?? {}).map(([k, v]) => nameValue("Attribute", k, v));
  const messageAttributes = Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => {
    const value =
      v.BinaryValue !== undefined ? optionalEl("BinaryValue", Buffer.from(v.BinaryValue).toString("base64")) : optionalEl("StringValue", v.StringValue);
    return el("MessageAttribute", [optionalEl("Name", k), el("Value", [value, optionalEl("DataType", v.DataType)])]);
  });
  return el("Message", [
    optionalEl("MessageId", m.MessageId),
    optionalEl("ReceiptHandle", m.ReceiptHandle),
    optionalEl("MD5OfBody", m.MD5OfBody),
    optionalEl("Body", m.Body),
    ...attributes,
    optionalEl("MD5OfMessageAttributes", m.MD5OfMessageAttributes),
    ...messageAttributes,
  ]);
}

/** The `<XResult>` content of each action, or undefined for actions that return nothing. */
export function resultXml(action: string, result: object | void): Xml | undefined {
  const r = (result ?? {}) as Record<string, unknown>;
  switch (action) {
    case "CreateQueue":
    case "GetQueueUrl":
      return optionalEl("QueueUrl", r.QueueUrl as string);
    case "ListQueues":
      return xmlConcat([
        ...((r.QueueUrls as string[] | undefined) ?? []).map((u) => optionalEl("QueueUrl", u)),
        optionalEl("NextToken", r.NextToken as string | undefined),
      ]);
    case "ListDeadLetterSourceQueues":
      return xmlConcat(((r.queueUrls as string[] | undefined) ?? []).map((u) => optionalEl("QueueUrl", u)));
    case "GetQueueAttributes":
      return xmlConcat(Object.entries((r.Attributes as Record<string, string> | undefined) ?? {}).map(([k, v]) => nameValue("Attribute", k, v)));
    case "ListQueueTags":
      return xmlConcat(
        Object.entries((r.Tags as Record<string, string> | undefined) ?? {}).map(([k, v]) => el("Tag", [optionalEl("Key", k), optionalEl("Value", v)])),
      );
    case "SendMessage": {
      const s = r as unknown as sqs.SendMessageResult;
      return xmlConcat([
        optionalEl("MessageId", s.MessageId),
        optionalEl("MD5OfMessageBody", s.MD5OfMessageBody),
        optionalEl("MD5OfMessageAttributes", s.MD5OfMessageAttributes),
        optionalEl("MD5OfMessageSystemAttributes", s.MD5OfMessageSystemAttributes),
        optionalEl("SequenceNumber", s.SequenceNumber),
      ]);
    }
    case "SendMessageBatch": {
      const b = r as unknown as sqs.SendMessageBatchResult;
      const ok = (b.Successful ?? []).map((s) =>
        el("SendMessageBatchResultEntry", [
          optionalEl("Id", s.Id),
          optionalEl("MessageId", s.MessageId),
          optionalEl("MD5OfMessageBody", s.MD5OfMessageBody),
          optionalEl("MD5OfMessageAttributes", s.MD5OfMessageAttributes),
          optionalEl("MD5OfMessageSystemAttributes", s.MD5OfMessageSystemAttributes),
          optionalEl("SequenceNumber", s.SequenceNumber),
        ]),
      );
      return xmlConcat([...ok, ...batchErrors(b.Failed)]);
    }
    case "ReceiveMessage":
      return xmlConcat(((r.Messages as sqs.Message[] | undefined) ?? []).map(messageXml));
    case "StartMessageMoveTask":
      return optionalEl("TaskHandle", r.TaskHandle as string | undefined);
    case "CancelMessageMoveTask":
      return optionalEl("ApproximateNumberOfMessagesMoved", r.ApproximateNumberOfMessagesMoved as number | undefined);
    case "ListMessageMoveTasks":
      // The SDK model names each (flattened) entry ListMessageMoveTasksResultEntry; the API
      // reference's example shows <Result>, but clients parse what the model says.
      return xmlConcat(
        ((r.Results as Record<string, string | number>[] | undefined) ?? []).map((entry) =>
          el(
            "ListMessageMoveTasksResultEntry",
            Object.entries(entry).map(([k, v]) => optionalEl(k, v)),
          ),
        ),
      );
    case "DeleteMessageBatch":
    case "ChangeMessageVisibilityBatch": {
      const b = r as { Successful?: { Id?: string }[]; Failed?: sqs.BatchResultErrorEntry[] };
      return xmlConcat([...(b.Successful ?? []).map((s) => el(`${action}ResultEntry`, [optionalEl("Id", s.Id)])), ...batchErrors(b.Failed)]);
    }
    default:
      return undefined;
  }
}

export function queryErrorResponse(error: AwsServiceError, requestId: string): LocalResponse {
  return {
    status: error.status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body: xmlDocument(
      el(
        "ErrorResponse",
        [
          el("Error", [
            optionalEl("Type", error.fault),
            optionalEl("Code", error.queryCode ?? error.code),
            optionalEl("Message", error.message),
            emptyEl("Detail"),
          ]),
          optionalEl("RequestId", requestId),
        ],
        NAMESPACE,
      ),
      SQS_XML_DECLARATION,
    ),
  };
}

function requestParams(request: LocalRequest): URLSearchParams {
  const params = new URLSearchParams(request.query);
  const contentType = (headerValue(request, "content-type") ?? "").toLowerCase();
  if (request.body.length > 0 && (contentType.startsWith("application/x-www-form-urlencoded") || contentType === "")) {
    for (const [k, v] of new URLSearchParams(request.body.toString("utf8"))) params.append(k, v);
  }
  return params;
}

export function createQueryHandler(service: SqsService, log: LocalLogger): HttpHandler {
  return async (request: LocalRequest) => {
    const params = requestParams(request);
    const action = params.get("Action") ?? "";
    try {
      const handler = SQS_ACTIONS[action];
      if (action === "") throw new AwsServiceError("MissingAction", "The request must contain the parameter Action.", { status: 400 });
      if (handler === undefined) throw sqsErrors.invalidAction(`The action ${action} is not valid for this endpoint.`);
      const tree = parseParams(params.entries());
      // The queue URL path (`/ACCOUNT/QUEUE`) addresses the queue when no QueueUrl parameter does.
      const path = decodeURIComponent(request.rawPath);
      const queueUrl = str(tree.QueueUrl) ?? (path.split("/").filter((p) => p !== "").length === 2 ? path : undefined);
      const result = await handler(service, queryInput(action, tree, queueUrl));
      const inner = resultXml(action, result);
      const body = xmlDocument(
        el(
          `${action}Response`,
          [...(inner === undefined ? [] : [el(`${action}Result`, [inner])]), el("ResponseMetadata", [optionalEl("RequestId", request.requestId)])],
          NAMESPACE,
        ),
        SQS_XML_DECLARATION,
      );
      return { status: 200, headers: { "content-type": "text/xml", "x-amzn-requestid": request.requestId }, body };
    } catch (error) {
      if (isAwsServiceError(error)) return queryErrorResponse(error, request.requestId);
      log.log("error", "SQS request failed", { action, error: (error as Error).stack ?? String(error) });
      return queryErrorResponse(
        new AwsServiceError("InternalError", "We encountered an internal error. Please try again.", { status: 500 }),
        request.requestId,
      );
    }
  };
}
