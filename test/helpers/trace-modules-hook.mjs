// The resolve hook trace-modules.mjs registers (module hooks run on a thread of their own).
import { appendFileSync } from "node:fs";

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (process.env.WSQ_MODULE_TRACE) appendFileSync(process.env.WSQ_MODULE_TRACE, `${resolved.url}\n`);
  return resolved;
}
