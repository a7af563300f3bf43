/**
 * Names CloudFormation generates for resources whose template does not name them:
 * `{stackName}-{logicalId}-{RANDOM}`, with the stack and logical parts shortened so the whole
 * fits the type's limit, and a required suffix (a FIFO queue's `.fifo`) kept at the end.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html
 */
import { randomInt } from "node:crypto";

const RANDOM_SUFFIX_LENGTH = 12;
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export function randomSuffix(length = RANDOM_SUFFIX_LENGTH): string {
  let text = "";
  for (let index = 0; index < length; index += 1) text += UPPER[randomInt(UPPER.length)];
  return text;
}

export function generatePhysicalName(stackName: string, logicalId: string, options: { maxLength: number; suffix?: string; lowercase?: boolean }): string {
  const suffix = options.suffix ?? "";
  const random = randomSuffix();
  const budget = options.maxLength - suffix.length - random.length - 2;
  let stackPart = stackName;
  let logicalPart = logicalId;
  // Shorten the longer part first, so both stay recognisable.
  while (stackPart.length + logicalPart.length > Math.max(budget, 0)) {
    if (stackPart.length >= logicalPart.length && stackPart.length > 0) stackPart = stackPart.slice(0, -1);
    else logicalPart = logicalPart.slice(0, -1);
  }
  const name = `${stackPart}-${logicalPart}-${random}${suffix}`;
  return options.lowercase ? name.toLowerCase() : name;
}
