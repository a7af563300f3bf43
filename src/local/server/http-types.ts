import type { IncomingHttpHeaders } from "node:http";

/** A fully buffered HTTP request, as every protocol adapter of the local cloud sees it. */
export interface LocalRequest {
  method: string;
  /** Raw path as sent (still percent-encoded), without the query string. */
  rawPath: string;
  /** Decoded query parameters; a repeated key keeps every value in order. */
  query: URLSearchParams;
  /** Lower-cased header names, as Node gives them. */
  headers: IncomingHttpHeaders;
  body: Buffer;
  remoteAddress: string;
  /** A unique id for logs and the x-amzn-RequestId / x-amz-request-id headers. */
  requestId: string;
}

export interface LocalResponse {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

/** Something that can answer an HTTP request. Adapters return undefined when a request is not theirs. */
export type HttpHandler = (request: LocalRequest) => Promise<LocalResponse>;

export function headerValue(request: LocalRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  if (Array.isArray(value)) return value[0];
  return value;
}
