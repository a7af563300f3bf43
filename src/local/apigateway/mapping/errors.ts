/** A mapping template that does not parse, or fails while rendering (the client gets API Gateway's error). */
export class MappingTemplateError extends Error {
  override readonly name: string = "MappingTemplateError";
}
