/**
 * Deployment packages: the zip is checked, hashed and unpacked once per (function, code hash)
 * into dataDir/lambda/<function>/<sha256-hex>/, which becomes LAMBDA_TASK_ROOT.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { unzipSync } from "fflate";
import { AwsServiceError } from "../aws-error.js";
import { MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES } from "./limits.js";
import { sdkNodePath } from "./bootstrap-path.js";

export interface CodeInfo {
  /** Base64 SHA-256 of the zip, as CodeSha256 reports it. */
  sha256: string;
  size: number;
}

export function describeCode(zip: Uint8Array): CodeInfo {
  return { sha256: createHash("sha256").update(zip).digest("base64"), size: zip.byteLength };
}

export function codeDirectory(dataDir: string, functionName: string, sha256Base64: string): string {
  const hex = Buffer.from(sha256Base64, "base64").toString("hex");
  return join(dataDir, "lambda", functionName, hex);
}

/**
 * An entry name is safe when it stays inside the target once resolved: no `..` segment, no
 * absolute path, no drive letter or backslash trick (zip-slip).
 */
export function isSafeEntryName(name: string): boolean {
  if (name === "" || name.includes("\0")) return false;
  if (isAbsolute(name) || name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name)) return false;
  return !name.split(/[\\/]/).some((segment) => segment === "..");
}

/** Unpacks the package unless that exact code is already there. Throws InvalidParameterValueException for a bad zip. */
export function unpackCode(zip: Uint8Array, dataDir: string, functionName: string, sha256Base64: string): string {
  const target = codeDirectory(dataDir, functionName, sha256Base64);
  if (existsSync(target)) return target;
  if (zip.byteLength > MAX_ZIPPED_BYTES) {
    throw new AwsServiceError("RequestEntityTooLargeException", `Request must be smaller than ${MAX_ZIPPED_BYTES} bytes for the CreateFunction operation`, {
      status: 413,
    });
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch {
    throw new AwsServiceError("InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again.");
  }
  let total = 0;
  for (const [name, data] of Object.entries(entries)) {
    if (!isSafeEntryName(name))
      throw new AwsServiceError("InvalidParameterValueException", `Could not unzip uploaded file: the entry "${name}" points outside the package.`);
    total += data.byteLength;
  }
  if (total > MAX_UNZIPPED_BYTES) throw new AwsServiceError("InvalidParameterValueException", `Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
  guardModuleType(dataDir);
  const staging = `${target}.staging-${randomBytes(4).toString("hex")}`;
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  try {
    const root = resolve(staging);
    for (const [name, data] of Object.entries(entries)) {
      const path = resolve(root, name);
      if (path !== root && !path.startsWith(root + sep))
        throw new AwsServiceError("InvalidParameterValueException", `Could not unzip uploaded file: the entry "${name}" points outside the package.`);
      if (name.endsWith("/")) {
        mkdirSync(path, { recursive: true });
        continue;
      }
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, data);
    }
    if (existsSync(target)) rmSync(staging, { recursive: true, force: true });
    else renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return target;
}

/**
 * On Lambda, a `.js` file without a package.json saying "type": "module" is CommonJS. Node looks
 * for the nearest package.json upwards, so one at dataDir/lambda stops it from finding whatever
 * project the data directory happens to sit in.
 */
function guardModuleType(dataDir: string): void {
  const file = join(dataDir, "lambda", "package.json");
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify({ type: "commonjs", private: true })}\n`);
  }
  linkRuntimeModules(dataDir);
}

/**
 * Lambda's Node.js runtimes ship the AWS SDK v3 outside the function's code. NODE_PATH stands in
 * for it for CommonJS, but ESM ignores NODE_PATH and only looks in node_modules folders above the
 * importing file, so dataDir/lambda/node_modules links to the node_modules holding wsq's own SDK.
 * A package the function bundles itself is found first, as on Lambda.
 */
function linkRuntimeModules(dataDir: string): void {
  const link = join(dataDir, "lambda", "node_modules");
  const target = sdkNodePath();
  if (target === undefined) return;
  try {
    // A link left by another install of wsq (moved, upgraded) is replaced.
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === target) return;
    rmSync(link, { recursive: true, force: true });
  } catch {
    // not there yet
  }
  try {
    symlinkSync(target, link, "dir");
  } catch {
    // No symlinks (some Windows setups): CommonJS handlers still resolve through NODE_PATH.
  }
}

export function removeFunctionCode(dataDir: string, functionName: string): void {
  rmSync(join(dataDir, "lambda", functionName), { recursive: true, force: true });
}
