/**
 * The built-in handler: echoes each message's `data` back to its sender with its queue metadata,
 * after honouring the message's consumer directives (`work`, `fail`: directives.ts).
 */
import { withDirectives, withInvocation } from "./directives.js";
import { echoData } from "./process-batch.js";
import { createHandler } from "./wrapper.js";

export const handler = withInvocation(createHandler(withDirectives(echoData)));
