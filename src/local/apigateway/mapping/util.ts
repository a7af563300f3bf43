/**
 * API Gateway's `$util` functions. API Gateway runs Java: urlEncode/urlDecode behave as
 * java.net.URLEncoder/URLDecoder with UTF-8 (space becomes '+', only `A-Za-z0-9.-*_` stay as they
 * are), and escapeJavaScript as Apache Commons Lang's StringEscapeUtils.escapeJavaScript (which also
 * escapes `'` and `/`, so its output is not always valid JSON, as AWS's docs warn).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-mapping-template-reference.html
 */

/** java.net.URLEncoder.encode(value, "UTF-8"). */
export function urlEncode(value: unknown): string {
  const text = stringOf(value);
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-*_]/.test(ch)) out += ch;
    else if (byte === 0x20) out += "+";
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** java.net.URLDecoder.decode(value, "UTF-8"): '+' is a space; a broken escape is an error. */
export function urlDecode(value: unknown): string {
  const text = stringOf(value).replace(/\+/g, " ");
  return decodeURIComponent(text);
}

export function base64Encode(value: unknown): string {
  return Buffer.from(stringOf(value), "utf8").toString("base64");
}

export function base64Decode(value: unknown): string {
  return Buffer.from(stringOf(value), "base64").toString("utf8");
}

const SHORT_ESCAPES: Record<string, string> = { "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "'": "\\'", "\\": "\\\\", "/": "\\/" };

/** StringEscapeUtils.escapeJavaScript: short escapes, other controls and non-ASCII as \uXXXX. */
export function escapeJavaScript(value: unknown): string {
  let out = "";
  for (const ch of stringOf(value)) {
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) {
      out += short;
      continue;
    }
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code > 0x7e) {
      // Java strings are UTF-16: a character outside the BMP becomes two \u escapes.
      for (let i = 0; i < ch.length; i++) out += "\\u" + ch.charCodeAt(i).toString(16).toUpperCase().padStart(4, "0");
    } else {
      out += ch;
    }
  }
  return out;
}

export function stringOf(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value) ?? "";
}
