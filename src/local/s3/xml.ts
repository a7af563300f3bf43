import { AwsServiceError } from "../aws-error.js";

export const S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

/**
 * Parsed request XML. S3's request bodies (CreateBucketConfiguration, Delete, Tagging,
 * ServerSideEncryptionConfiguration, PublicAccessBlockConfiguration) are small, flat documents
 * without attributes that matter, mixed content or CDATA; this reader covers exactly that and
 * rejects anything else as MalformedXML, rather than pulling in a general XML parser.
 */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

/** S3's answer to a request body that is not the XML the operation takes. */
export function malformedXml(): AwsServiceError {
  return new AwsServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", { status: 400 });
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, entity: string) => {
    switch (entity) {
      case "amp":
        return "&";
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "quot":
        return '"';
      case "apos":
        return "'";
      default:
        return String.fromCodePoint(entity.startsWith("#x") ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10));
    }
  });
}

const TOKEN = /<\?[^>]*\?>|<!--[\s\S]*?-->|<\/\s*([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/gy;

export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: "#document", children: [], text: "" };
  const stack: XmlElement[] = [root];
  TOKEN.lastIndex = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = TOKEN.exec(source)) !== null) {
    consumed = TOKEN.lastIndex;
    const [, closing, opening, , selfClosing, text] = match;
    const top = stack[stack.length - 1]!;
    if (closing !== undefined) {
      if (top.name !== closing || stack.length === 1) throw malformedXml();
      stack.pop();
    } else if (opening !== undefined) {
      const element: XmlElement = { name: localName(opening), children: [], text: "" };
      top.children.push(element);
      if (selfClosing !== "/") stack.push(element);
    } else if (text !== undefined) {
      if (stack.length === 1) {
        if (text.trim() !== "") throw malformedXml();
      } else {
        top.text += decodeEntities(text);
      }
    }
  }
  if (consumed !== source.length || stack.length !== 1 || root.children.length !== 1) throw malformedXml();
  return root.children[0]!;
}

function localName(name: string): string {
  const colon = name.indexOf(":");
  return colon === -1 ? name : name.slice(colon + 1);
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

export function childText(element: XmlElement, name: string): string | undefined {
  return child(element, name)?.text;
}

export function parseXmlBody(body: Buffer, expectedRoot: string): XmlElement {
  const text = body.toString("utf8").trim();
  if (text.length === 0) throw malformedXml();
  const root = parseXml(text);
  if (root.name !== expectedRoot) throw malformedXml();
  return root;
}
