/**
 * The handler zip: the built-in echo handler (bundled at build time into dist/handler/handler.zip)
 * or a user's processing function bundled at deploy time with the same post-back wrapper.
 *
 * The zip holds `index.js` (CommonJS, so `index.handler` resolves the same way on every Lambda
 * Node.js runtime and any local runner) and a `package.json` saying so, because a `.js` file
 * otherwise takes its module type from the nearest package.json outside the zip.
 */
import { build, type BuildOptions } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, extname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WsqError } from "../shared/errors.js";
import { deterministicZip } from "./deterministic-zip.js";

/** The Lambda handler setting in templates/wsq.yaml. */
export const HANDLER_ENTRY = "index.handler";
/** The Lambda runtime in the template; esbuild targets the same Node version. */
export const HANDLER_NODE_TARGET = "node22";

export interface HandlerAsset {
  zip: Uint8Array;
  /** Hex sha256 of the zip bytes. */
  sha256: string;
  /** The S3 key: content-addressed, so identical bundles share one object. */
  key: string;
  /** "built-in" or the user's file. */
  source: string;
}

/** The package root (holds package.json, templates/, dist/), from src/deploy or dist/deploy alike. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

export function builtinHandlerZipPath(root = packageRoot()): string {
  return join(root, "dist", "handler", "handler.zip");
}

export function assetFromZip(zip: Uint8Array, source: string): HandlerAsset {
  const sha256 = createHash("sha256").update(zip).digest("hex");
  return { zip, sha256, key: `handlers/${sha256}.zip`, source };
}

const ZIP_PACKAGE_JSON = `${JSON.stringify({ type: "commonjs" })}\n`;

const COMMON_OPTIONS: BuildOptions = {
  bundle: true,
  platform: "node",
  target: HANDLER_NODE_TARGET,
  format: "cjs",
  minify: true,
  legalComments: "none",
  write: false,
  logLevel: "silent",
  // The signer's CommonJS entry requires @smithy/core's barrels whole (about 140 KB minified);
  // its ES modules import only what signing uses (about 15 KB), so the bundle takes those.
  alias: { "@smithy/signature-v4": "@smithy/signature-v4/dist-es/index.js" },
};

function zipBundle(code: Uint8Array): Uint8Array {
  return deterministicZip({ "index.js": code, "package.json": ZIP_PACKAGE_JSON });
}

/** Bundle src/handler/index.ts (the build script calls this; the CLI reads the result). */
export async function bundleBuiltinHandler(root = packageRoot()): Promise<HandlerAsset> {
  const result = await build({ ...COMMON_OPTIONS, absWorkingDir: root, entryPoints: [join(root, "src", "handler", "index.ts")] });
  const output = result.outputFiles?.[0];
  if (!output) throw new Error("esbuild produced no output for the handler");
  return assetFromZip(zipBundle(output.contents), "built-in");
}

/** The built-in handler zip shipped in the package. */
export function readBuiltinHandler(root = packageRoot()): HandlerAsset {
  const path = builtinHandlerZipPath(root);
  if (!existsSync(path)) {
    throw new WsqError("HANDLER_NOT_BUILT", `The handler bundle ${path} is missing.`, {
      hint: "Run `npm run build` in the wsq checkout (it bundles the handler), or reinstall wsq.",
    });
  }
  return assetFromZip(new Uint8Array(readFileSync(path)), "built-in");
}

/** A handler module (`wrapper`, `directives`) as source (in a checkout) or as the bundle the build emits (installed). */
function handlerModule(root: string, name: "wrapper" | "directives"): string {
  const source = join(root, "src", "handler", `${name}.ts`);
  if (existsSync(source)) return source;
  const built = join(root, "dist", "handler", `${name}.mjs`);
  if (existsSync(built)) return built;
  throw new WsqError("HANDLER_NOT_BUILT", `The handler ${name} module (${built}) is missing.`, { hint: "Run `npm run build`, or reinstall wsq." });
}

/**
 * What a user's module imports to honour consumer directives (`withDirectives`): resolved to wsq's
 * own directives module, the very file the entry takes `withInvocation` from, so that both share
 * one module (the invocation's deadline lives there).
 */
export const DIRECTIVES_IMPORT = "wsq/directives";

const USER_HANDLER_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"]);

/**
 * Bundle a user's module, which must export `process(message, context)` (or a default function),
 * with the wrapper that posts its return value back to the sender.
 */
export async function bundleUserHandler(file: string, root = packageRoot()): Promise<HandlerAsset> {
  const path = isAbsolute(file) ? file : resolve(file);
  if (!existsSync(path)) {
    throw new WsqError("HANDLER_NOT_FOUND", `The handler file ${file} does not exist.`, {
      hint: "Pass the path of a .ts or .js file that exports a `process` function.",
      exitCode: 2,
    });
  }
  if (!USER_HANDLER_EXTENSIONS.has(extname(path))) {
    throw new WsqError("HANDLER_BAD_FILE", `The handler file ${file} is not TypeScript or JavaScript.`, {
      hint: "Pass a .ts, .mts, .js or .mjs file that exports a `process` function.",
      exitCode: 2,
    });
  }
  // First look at what the module exports, so a missing `process` is a deploy-time error and not
  // a function that fails on every message.
  let exportsFound: string[];
  try {
    const probe = await build({ ...COMMON_OPTIONS, format: "esm", minify: false, packages: "external", metafile: true, entryPoints: [path], outdir: "probe" });
    exportsFound = Object.values(probe.metafile?.outputs ?? {}).flatMap((o) => o.exports);
  } catch (error) {
    throw bundleError(file, error);
  }
  if (!exportsFound.includes("process") && !exportsFound.includes("default")) {
    throw new WsqError("HANDLER_NO_PROCESS", `${file} exports no \`process\` function (it exports: ${exportsFound.join(", ") || "nothing"}).`, {
      hint: "Export `async function process(message, context)`; its return value becomes the result's `data`. See docs/deploy.md.",
      exitCode: 2,
    });
  }
  const pick = exportsFound.includes("process") ? "user.process" : "user.default";
  const directives = handlerModule(root, "directives");
  const entry = [
    `import * as user from ${JSON.stringify(path)};`,
    `import { createHandler } from ${JSON.stringify(handlerModule(root, "wrapper"))};`,
    `import { withInvocation } from ${JSON.stringify(directives)};`,
    // withInvocation only records the invocation's deadline, for a process wrapped in withDirectives.
    `export const handler = withInvocation(createHandler(${pick}));`,
  ].join("\n");
  try {
    const result = await build({
      ...COMMON_OPTIONS,
      stdin: { contents: entry, resolveDir: dirname(path), sourcefile: "wsq-handler-entry.mjs", loader: "js" },
      // COMMON_OPTIONS' alias (the signer's ES modules) is kept beside the directives module's.
      alias: { ...COMMON_OPTIONS.alias, [DIRECTIVES_IMPORT]: directives },
      // The signer comes from wsq's own dependencies when the user's project has none.
      nodePaths: [join(root, "node_modules")],
    });
    const output = result.outputFiles?.[0];
    if (!output) throw new Error("esbuild produced no output");
    return assetFromZip(zipBundle(output.contents), path);
  } catch (error) {
    throw bundleError(file, error);
  }
}

function bundleError(file: string, error: unknown): WsqError {
  const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
  const first = errors?.[0];
  const where = first?.location ? ` (${first.location.file}:${first.location.line}:${first.location.column})` : "";
  return new WsqError("HANDLER_BUNDLE_FAILED", `Bundling ${file} failed: ${first?.text ?? (error as Error).message}${where}`, {
    hint: "Fix the error in the handler file, or install the packages it imports in its project.",
    cause: error,
  });
}
