/**
 * What a WebSocket close code means to a user of API Gateway. Codes from RFC 6455 §7.4.1 and the
 * IANA registry; the API Gateway readings come from its WebSocket quotas page
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html, checked 2026-11-24):
 * frames over 32 KB or messages over 128 KB close with 1009, binary frames with 1003, and the
 * 10-minute idle timeout and 2-hour maximum connection duration close with 1001.
 */
const MEANINGS: Readonly<Record<number, string>> = {
  1000: "normal closure",
  1001: "going away (API Gateway closes idle connections after 10 minutes and every connection after 2 hours)",
  1002: "protocol error",
  1003: "unsupported data (API Gateway refuses binary frames)",
  1005: "no status code given",
  1006: "abnormal closure: the connection dropped without a close frame",
  1007: "invalid frame payload (text that is not UTF-8)",
  1008: "policy violation",
  1009: "message too big (API Gateway allows 32 KB per frame and 128 KB per message)",
  1010: "the server did not offer a required extension",
  1011: "internal server error",
  1012: "service restart",
  1013: "try again later",
  1014: "bad gateway",
  1015: "TLS handshake failure",
};

export function describeCloseCode(code: number): string {
  const known = MEANINGS[code];
  if (known) return known;
  if (code >= 4000 && code <= 4999) return "application-defined close code";
  if (code >= 3000 && code <= 3999) return "library or framework close code";
  return "unknown close code";
}

/** Closes that say the server or network gave up, not that someone ended the session on purpose. */
export function isAbnormalClose(code: number): boolean {
  return code !== 1000;
}
