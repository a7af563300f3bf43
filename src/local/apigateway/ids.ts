import { randomBytes, randomFillSync } from "node:crypto";

const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789";

/** API Gateway ids: ApiId is 10 lower-case alphanumerics, route/integration/deployment ids 7. */
export function resourceId(length: number): string {
  const bytes = randomBytes(length);
  let id = "";
  for (const byte of bytes) id += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return id;
}

/**
 * Every frame takes two ids (request and message); drawing them from a refilled pool rather than
 * one randomBytes call each keeps the kernel's random source off the per-frame path.
 */
const ID_BYTES = 11;
const pool = Buffer.alloc(ID_BYTES * 512);
let poolOffset = pool.length;

/**
 * Connection and request ids as API Gateway shows them: 16 characters of URL-safe base64 ending
 * in '=' (e.g. `L0SM9cOFvHcCIhw=`). The format is not documented; clients must treat it as opaque.
 */
export function connectionStyleId(): string {
  if (poolOffset + ID_BYTES > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const id = pool.toString("base64url", poolOffset, poolOffset + ID_BYTES);
  poolOffset += ID_BYTES;
  return `${id}=`;
}
