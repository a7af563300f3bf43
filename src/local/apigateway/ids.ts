import { randomBytes } from "node:crypto";

const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789";

/** API Gateway ids: ApiId is 10 lower-case alphanumerics, route/integration/deployment ids 7. */
export function resourceId(length: number): string {
  const bytes = randomBytes(length);
  let id = "";
  for (const byte of bytes) id += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return id;
}

/**
 * Connection and request ids as API Gateway shows them: 16 characters of URL-safe base64 ending
 * in '=' (e.g. `L0SM9cOFvHcCIhw=`). The format is not documented; clients must treat it as opaque.
 */
export function connectionStyleId(): string {
  return randomBytes(11).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}
