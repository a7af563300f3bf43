import { zipSync, type Zippable } from "fflate";

/**
 * ZIP entries get this fixed timestamp (the earliest a ZIP's DOS date can hold), so the same
 * files always give the same bytes, hence the same sha256, hence the same S3 key: an unchanged
 * handler is neither uploaded nor redeployed.
 */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** Unix regular file, rw-r--r--: Lambda needs the files readable by its runtime user. */
const UNIX_FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;
const UNIX_OS = 3;

/** Zip the files in name order with fixed metadata; the output depends only on names and contents. */
export function deterministicZip(files: Record<string, Uint8Array | string>): Uint8Array {
  const entries: Zippable = {};
  for (const name of Object.keys(files).sort()) {
    const content = files[name] as Uint8Array | string;
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    entries[name] = [bytes, { mtime: FIXED_MTIME, os: UNIX_OS, attrs: UNIX_FILE_ATTRIBUTES, level: 9 }];
  }
  return zipSync(entries);
}
