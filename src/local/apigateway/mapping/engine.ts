/**
 * velocityjs tuned to behave like the Java Velocity engine API Gateway runs. velocityjs is a
 * JavaScript port of Apache Velocity; three differences from the Java engine matter for mapping
 * templates and are corrected here (and only here):
 *
 * 1. A reference whose value is null renders as "null" in velocityjs. In Java a null reference is
 *    a missing one, and API Gateway renders missing references as empty text (its templates rely
 *    on that: `"$input.path('$.missing')"` yields `""`). So a JSON null in the body behaves like an
 *    absent member: `#if("$!group" == "")` is true for `{"MessageGroupId": null}`.
 * 2. `#set($x = <null>)`: Velocity 1.7 (which API Gateway's VTL is, by all published behaviour)
 *    leaves $x at its previous value when the right-hand side is a reference or method call that
 *    yields null ("directive.set.null.allowed" defaults to false); velocityjs assigns the null.
 *    We keep the previous value, as 1.7 does. AWS does not document which Velocity version it
 *    runs, so this is the one place where the behaviour is an informed guess (docs/apigateway-mapping.md).
 * 3. Java String/Map/List methods templates commonly call (`$s.length()`, `$s.isEmpty()`,
 *    `$s.contains()`, `$s.replaceAll(regex, ...)`, `$s.split(regex)`, `$s.trim()`,
 *    `$m.containsKey()`, ...) are missing or differ in JavaScript; they are added as velocityjs
 *    custom method handlers.
 * 4. A method Java Velocity cannot resolve for its arguments (API Gateway's `$util` string
 *    functions given a number, a map or null) yields no value, and the reference is rendered as
 *    its own text (`$util.urlEncode($context.requestTimeEpoch)` appears in the output; `$!` renders
 *    nothing). velocityjs would call the JavaScript function with anything; a function that wants
 *    to behave as unresolvable returns UNRESOLVED, which this class renders as Java Velocity does.
 *
 * velocityjs also assigns an `eval` function onto any object a template calls a method on; the
 * caller therefore always renders over copies of its data (see index.ts).
 */
import velocity from "velocityjs";

type Ast = ReturnType<typeof velocity.parse>;
type CompileConfig = NonNullable<ConstructorParameters<typeof velocity.Compile>[1]>;
type MethodHandler = NonNullable<CompileConfig["customMethodHandlers"]>[number];
type SetAst = Parameters<InstanceType<typeof velocity.Compile>["setValue"]>[0];
type ReferenceAst = Parameters<InstanceType<typeof velocity.Compile>["getReferences"]>[0];

/**
 * What a `$util` function returns when Java Velocity would find no method for its arguments: the
 * reference then has no value (see JavaVelocity.getReferences).
 */
export const UNRESOLVED: unique symbol = Symbol("unresolvable Velocity method");

/** Java's regex syntax is close enough to JavaScript's for the patterns templates use. */
function javaRegex(pattern: unknown): RegExp {
  return new RegExp(String(pattern), "gu");
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Java's String.trim: strips every character up to U+0020 (controls included) from both ends, and nothing else. */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start += 1;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end -= 1;
  return text.slice(start, end);
}

/** Java's String.split drops trailing empty strings. */
function javaSplit(text: string, pattern: unknown): string[] {
  const parts = text.split(javaRegex(pattern));
  while (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

const stringMethods: Record<string, (text: string, params: unknown[]) => unknown> = {
  length: (text) => text.length,
  isEmpty: (text) => text.length === 0,
  contains: (text, [part]) => text.includes(String(part)),
  equals: (text, [other]) => text === other,
  equalsIgnoreCase: (text, [other]) => typeof other === "string" && text.toLowerCase() === other.toLowerCase(),
  // Java's replace(CharSequence, CharSequence) replaces every occurrence, literally.
  replace: (text, [from, to]) => text.split(String(from)).join(String(to)),
  replaceAll: (text, [pattern, to]) => text.replace(javaRegex(pattern), String(to).replace(/\$(\d)/g, "$$$1")),
  replaceFirst: (text, [pattern, to]) => text.replace(new RegExp(String(pattern), "u"), String(to)),
  matches: (text, [pattern]) => new RegExp(`^(?:${String(pattern)})$`, "u").test(text),
  split: (text, [pattern]) => javaSplit(text, pattern),
  charAt: (text, [index]) => text.charAt(Number(index)),
  // JavaScript's trim also strips Unicode spaces (NBSP, U+2028, BOM) that Java's keeps.
  trim: (text) => javaTrim(text),
  startsWith: (text, [prefix, offset]) => text.startsWith(String(prefix), offset === undefined ? 0 : Number(offset)),
  endsWith: (text, [suffix]) => text.endsWith(String(suffix)),
  toString: (text: string) => text,
};

const mapMethods: Record<string, (map: Record<string, unknown>, params: unknown[]) => unknown> = {
  containsKey: (map, [key]) => Object.prototype.hasOwnProperty.call(map, String(key)),
  isEmpty: (map) => Object.keys(map).length === 0,
  values: (map) => Object.values(map),
};

const listMethods: Record<string, (list: unknown[], params: unknown[]) => unknown> = {
  isEmpty: (list) => list.length === 0,
  contains: (list, [item]) => list.includes(item),
};

const javaMethods: MethodHandler[] = [
  {
    uid: "apigateway: String",
    match: ({ property, context }) => typeof context === "string" && Object.prototype.hasOwnProperty.call(stringMethods, property),
    resolve: ({ property, context, params }) => stringMethods[property]!(context as string, params),
  },
  {
    uid: "apigateway: Map",
    match: ({ property, context }) =>
      isMap(context) && Object.prototype.hasOwnProperty.call(mapMethods, property) && !Object.prototype.hasOwnProperty.call(context, property),
    resolve: ({ property, context, params }) => mapMethods[property]!(context as Record<string, unknown>, params),
  },
  {
    uid: "apigateway: List",
    match: ({ property, context }) => Array.isArray(context) && Object.prototype.hasOwnProperty.call(listMethods, property),
    resolve: ({ property, context, params }) => listMethods[property]!(context as unknown[], params),
  },
];

/** velocityjs's own lookup of the scope (#foreach/#macro local or global) a #set writes to. */
interface ContextLookup {
  getContext(id: string): Record<string, unknown>;
}

/**
 * Parses are kept: templates are few and rendered per frame, and velocityjs parses a double-quoted
 * string with references in it (`"$!group"`) every time it evaluates it, which is once per frame
 * for the shipped template's `#if`. A parse depends on the text only. Bounded, so a churn of APIs
 * cannot grow it.
 */
const parsed = new Map<string, Ast>();
const MAX_PARSED = 1024;

/**
 * velocity.parse(text), from the cache when the same text was parsed before. `check` runs before a
 * text is first parsed (and may throw); parse errors are thrown as velocityjs throws them.
 */
export function parseOnce(text: string, check?: (text: string) => void): Ast {
  let asts = parsed.get(text);
  if (asts === undefined) {
    check?.(text);
    asts = velocity.parse(text);
    if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value as string);
    parsed.set(text, asts);
  }
  return asts;
}

class JavaVelocity extends velocity.Compile {
  protected override evalStr(str: string): string {
    return this.renderAstList(parseOnce(str), this.contextId);
  }

  protected override getReferences(ast: ReferenceAst, isVal?: boolean): string {
    const value: unknown = super.getReferences(ast, isVal);
    if (value === UNRESOLVED) {
      // Rendered: the reference's own text (quiet `$!` renders nothing). As a value (an argument,
      // a #set source, a condition): no value, as the null Java Velocity gets.
      if (isVal !== true) return undefined as unknown as string;
      return (ast as { leader?: string }).leader === "$!" ? "" : velocity.Helper.getRefText(ast as Parameters<typeof velocity.Helper.getRefText>[0]);
    }
    return isVal === true && value === null ? "" : (value as string);
  }

  /** `$util.urlEncode(5).length()`: nothing is called on what has no value; the whole reference is unresolved. */
  protected getAttributes(property: unknown, baseRef: unknown, ast: unknown): unknown {
    if (baseRef === UNRESOLVED) return UNRESOLVED;
    return (velocity.Compile.prototype as unknown as { getAttributes(p: unknown, b: unknown, a: unknown): unknown }).getAttributes.call(
      this,
      property,
      baseRef,
      ast,
    );
  }

  protected override setValue(ast: SetAst): void {
    const [target, source] = ast.equal;
    // Only a reference (or method call) can yield null in Java Velocity; literals and math cannot.
    if (source.type === "references") {
      const mapper = this.config.valueMapper;
      let isNull = false;
      this.config.valueMapper = (value: unknown) => {
        isNull = value === null || value === undefined;
        return mapper === undefined ? value : mapper(value);
      };
      try {
        // Evaluate once through the normal path, but undo the assignment when the value is null.
        const holder = this.contextId.startsWith("macro:") ? this.context : (this as unknown as ContextLookup).getContext(target.id);
        const key = target.path === undefined ? target.id : undefined;
        const had = key !== undefined && Object.prototype.hasOwnProperty.call(holder, key);
        const previous = key !== undefined ? holder[key] : undefined;
        super.setValue(ast);
        if (isNull && key !== undefined) {
          if (had) holder[key] = previous;
          else delete holder[key];
        }
      } finally {
        this.config.valueMapper = mapper;
      }
      return;
    }
    super.setValue(ast);
  }
}

export function renderAst(ast: Ast, data: Record<string, unknown>): string {
  // silence: a reference that resolves to nothing renders as empty text, as on API Gateway.
  return new JavaVelocity(ast, { escape: false, customMethodHandlers: javaMethods }).render(data, undefined, true);
}
