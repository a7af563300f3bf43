import type { HttpHandler } from "./http-types.js";

/** Placeholder answer for a service that is not wired yet: AWS-style 501, never a crash. */
export function notImplementedHandler(service: string): HttpHandler {
  return async () => ({
    status: 501,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ __type: "NotImplemented", message: `${service} is not available in this local cloud build` }),
  });
}

export function notImplementedApi<T extends object>(service: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      if (property === "then") return undefined;
      return () => Promise.reject(new Error(`${service}.${String(property)} is not implemented yet`));
    },
  });
}
