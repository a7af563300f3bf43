/**
 * The action table shared by both protocol adapters: each SQS action name maps to the service
 * call that serves it. Adapters only translate their wire format to these SDK-shaped inputs.
 */
import type { SqsService } from "./service.js";

export type ActionHandler = (service: SqsService, input: Record<string, unknown>, signal?: AbortSignal) => Promise<object | void>;

/* eslint-disable @typescript-eslint/no-explicit-any -- inputs are SDK-shaped records decoded from the wire */
export const SQS_ACTIONS: Record<string, ActionHandler> = {
  CreateQueue: (s, i) => s.createQueue(i as any),
  GetQueueUrl: (s, i) => s.getQueueUrl(i as any),
  ListQueues: (s, i) => s.listQueues(i),
  DeleteQueue: (s, i) => s.deleteQueue(i as any),
  GetQueueAttributes: (s, i) => s.getQueueAttributes(i as any),
  SetQueueAttributes: (s, i) => s.setQueueAttributes(i as any),
  PurgeQueue: (s, i) => s.purgeQueue(i as any),
  TagQueue: (s, i) => s.tagQueue(i as any),
  UntagQueue: (s, i) => s.untagQueue(i as any),
  ListQueueTags: (s, i) => s.listQueueTags(i as any),
  SendMessage: (s, i) => s.sendMessage(i as any),
  SendMessageBatch: (s, i) => s.sendMessageBatch(i as any),
  ReceiveMessage: (s, i, signal) => s.receiveMessage(i as any, signal),
  DeleteMessage: (s, i) => s.deleteMessage(i as any),
  DeleteMessageBatch: (s, i) => s.deleteMessageBatch(i as any),
  ChangeMessageVisibility: (s, i) => s.changeMessageVisibility(i as any),
  ChangeMessageVisibilityBatch: (s, i) => s.changeMessageVisibilityBatch(i as any),
  ListDeadLetterSourceQueues: (s, i) => s.listDeadLetterSourceQueues(i as any),
  StartMessageMoveTask: (s, i) => s.startMessageMoveTask(i as any),
  ListMessageMoveTasks: (s, i) => s.listMessageMoveTasks(i as any),
  CancelMessageMoveTask: (s, i) => s.cancelMessageMoveTask(i as any),
};
/* eslint-enable @typescript-eslint/no-explicit-any */
