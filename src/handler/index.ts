/** The built-in handler: echoes each message's `data` back to its sender with its queue metadata. */
import { echoData } from "./process-batch.js";
import { createHandler } from "./wrapper.js";

export const handler = createHandler(echoData);
