/**
 * API Gateway's `$util` functions.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-mapping-template-reference.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#util-template-reference
 * AWS documents `$util.urlEncode()` as converting a string into "application/x-www-form-urlencoded"
 * format and `$util.urlDecode()` as the reverse; API Gateway runs Java, and that wording is
 * java.net.URLEncoder's own: UTF-8 bytes, space becomes '+', only `A-Za-z0-9` and `.-*_` stay as they
 * are, so '~' becomes %7E, '*' stays, '+' becomes %2B, and hex digits are upper case. (This differs
 * from JavaScript's encodeURIComponent, which keeps `~!'()` and writes space as %20.)
 * `$util.escapeJavaScript()` is documented to escape with "JavaScript string rules" and to turn `'`
 * into `\'` (so its output is not always valid JSON, as AWS warns); that is Apache Commons Lang's
 * StringEscapeUtils.escapeJavaScript, whose rules (also `/` as `\/`, controls and non-ASCII as
 * upper-case \uXXXX, DEL left alone) are followed here.
 */
import { MappingTemplateError } from "./errors.js";

/** Text made only of what URLEncoder leaves as it is. */
const ALL_URL_SAFE = /^[A-Za-z0-9.\-*_]*$/;

/** What URLEncoder writes for each UTF-8 byte. */
const URL_ENCODED_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) => {
  const ch = String.fromCharCode(byte);
  if (ALL_URL_SAFE.test(ch)) return ch;
  if (byte === 0x20) return "+";
  return "%" + byte.toString(16).toUpperCase().padStart(2, "0");
});

/** java.net.URLEncoder.encode(value, "UTF-8"). Runs once per frame for each encoded value. */
export function urlEncode(value: unknown): string {
  const raw = stringOf(value);
  if (ALL_URL_SAFE.test(raw)) return raw; // nothing to escape
  // Java's UTF-8 encoder writes a lone surrogate (not encodable) as '?'.
  const text = raw.replace(/\p{Surrogate}/gu, "?");
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) out += URL_ENCODED_BYTE[byte];
  return out;
}

/**
 * java.net.URLDecoder.decode(value, "UTF-8"): '+' is a space, each run of %XX escapes is one UTF-8
 * byte sequence (invalid UTF-8 becomes U+FFFD, as Java's decoder replaces it), and a '%' not
 * followed by two hex digits is an error (Java throws IllegalArgumentException).
 */
export function urlDecode(value: unknown): string {
  const text = stringOf(value);
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "+") {
      out += " ";
      i += 1;
    } else if (ch === "%") {
      const bytes: number[] = [];
      while (i < text.length && text[i] === "%") {
        const hex = text.slice(i + 1, i + 3);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new MappingTemplateError(`$util.urlDecode: illegal escape "%${hex}"`);
        bytes.push(parseInt(hex, 16));
        i += 3;
      }
      out += Buffer.from(bytes).toString("utf8");
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

export function base64Encode(value: unknown): string {
  return Buffer.from(stringOf(value), "utf8").toString("base64");
}

export function base64Decode(value: unknown): string {
  return Buffer.from(stringOf(value), "base64").toString("utf8");
}

const SHORT_ESCAPES: Record<string, string> = {
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  '"': '\\"',
  "'": "\\'",
  "\\": "\\\\",
  "/": "\\/",
};

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
    if (code < 0x20 || code > 0x7f) {
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
