/**
 * The one XML writer of the local cloud's wire protocols: S3's REST-XML replies, the Query
 * protocol replies of SQS and CloudFormation, and the signature errors of either. Elements are
 * rendered to strings as they are built, not kept as a tree: SQS's SendMessage reply is written
 * for every frame the gateway queues, and these documents (no attributes but a namespace, no
 * mixed content) need no more. Hand-written for that reason; reading XML is S3's alone (s3/xml.ts).
 */

/** Rendered markup, kept apart from text by its type so that text is never inserted unescaped. */
export type Xml = string & { readonly __renderedXml: true };

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const SPECIAL = /[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\r]/; // eslint-disable-line no-control-regex -- control characters are what must be escaped
const SPECIALS = new RegExp(SPECIAL.source, "g");

function reference(char: string): string {
  switch (char) {
    case "&":
      return "&amp;";
    case "<":
      return "&lt;";
    case ">":
      return "&gt;";
    case '"':
      return "&quot;";
    case "'":
      return "&apos;";
    default:
      return `&#x${char.charCodeAt(0).toString(16).toUpperCase()};`;
  }
}

/**
 * Text content. CR becomes a character reference so that parsers do not fold it into LF (an SQS
 * body's MD5 must still hold); other characters XML 1.0 cannot carry literally (controls, which S3
 * keys may contain) become character references too, as S3 itself writes them.
 */
export function escapeXml(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, reference) : text;
}

/**
 * `<name>text</name>` with the text escaped, or `<name>…</name>` around rendered children; an
 * undefined value is an empty element. `xmlns` puts a namespace on it (a document's root).
 */
export function el(name: string, content: string | number | boolean | readonly Xml[] | undefined, xmlns?: string): Xml {
  const open = xmlns === undefined ? `<${name}>` : `<${name} xmlns="${xmlns}">`;
  const inner =
    content === undefined ? "" : typeof content === "object" ? xmlConcat(content) : escapeXml(typeof content === "string" ? content : String(content));
  return `${open}${inner}</${name}>` as Xml;
}

/** As `el` for a value, but nothing at all when the value is undefined (the Query protocols omit absent members). */
export function optionalEl(name: string, value: string | number | boolean | undefined): Xml {
  return value === undefined ? ("" as Xml) : el(name, value);
}

/** `<name/>`: an element with nothing in it, self-closed. */
export function emptyEl(name: string): Xml {
  return `<${name}/>` as Xml;
}

/** Rendered elements side by side, as one piece of markup. */
export function xmlConcat(parts: readonly Xml[]): Xml {
  // Concatenation, not join: faster for the few parts of a reply (measured on the SendMessage path).
  let out = "";
  for (const part of parts) out += part;
  return out as Xml;
}

export function xmlDocument(root: Xml, declaration = XML_DECLARATION): string {
  return declaration + root;
}
