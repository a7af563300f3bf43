// The CloudFormation service of the local cloud (see plugin.ts and docs/cloudformation.md).
export type { CloudFormationDependencies } from "./dependencies.js";
export { createCloudFormationPlugin } from "./plugin.js";
