import { describe, expect, it } from "vitest";
import { matchesFilterPattern, parseFilterPattern, UnsupportedFilterPattern } from "../../../src/local/logs/filter-pattern.js";

const matches = (pattern: string, message: string) => matchesFilterPattern(parseFilterPattern(pattern), message);

describe("CloudWatch Logs filter patterns (unstructured)", () => {
  it("an empty pattern matches everything", () => {
    expect(parseFilterPattern("")).toBeUndefined();
    expect(parseFilterPattern('""')).toBeUndefined();
    expect(matches("", "anything")).toBe(true);
  });
  it("every term must appear, case-sensitively", () => {
    expect(matches("ERROR timeout", "ERROR: connection timeout")).toBe(true);
    expect(matches("ERROR timeout", "ERROR: refused")).toBe(false);
    expect(matches("error", "ERROR")).toBe(false);
  });
  it("quoted phrases, -exclusions and ?alternatives", () => {
    expect(matches('"Task timed out"', "x Task timed out after 3.00 seconds")).toBe(true);
    expect(matches('"Task timed out"', "Task was timed out")).toBe(false);
    expect(matches("RequestId -START", "END RequestId: r")).toBe(true);
    expect(matches("RequestId -START", "START RequestId: r")).toBe(false);
    expect(matches("?ERROR ?WARN", "a WARN b")).toBe(true);
    expect(matches("?ERROR ?WARN", "a INFO b")).toBe(false);
  });
  it("refuses JSON, space-delimited and regex patterns instead of matching them wrongly", () => {
    for (const pattern of ['{ $.level = "error" }', "[ip, user]", "%ERR.*%"]) expect(() => parseFilterPattern(pattern)).toThrow(UnsupportedFilterPattern);
  });
});
