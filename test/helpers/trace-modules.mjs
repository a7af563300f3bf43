// `node --import ./trace-modules.mjs …`: appends the URL of every module the process resolves to
// the file named by WSQ_MODULE_TRACE, one a line, so a test can see what a command loads.
import { register } from "node:module";

register(new URL("./trace-modules-hook.mjs", import.meta.url));
