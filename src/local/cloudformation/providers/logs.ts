/**
 * AWS::Logs::LogGroup over the logs service. Ref is the group name; Fn::GetAtt Arn is
 * `arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`, as AWS documents it.
 */
import type { ResourceProvider } from "./types.js";
import { isNotFound, optionalInteger, optionalString } from "./values.js";

/** https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html */
const MAX_LOG_GROUP_NAME_LENGTH = 512;

export const logGroupProvider: ResourceProvider = {
  attributes: ["Arn"],
  async create(properties, context) {
    const name = optionalString(properties.LogGroupName) ?? context.generateName({ maxLength: MAX_LOG_GROUP_NAME_LENGTH });
    await context.deps.logs.createLogGroup(name, optionalInteger(properties.RetentionInDays));
    return { physicalId: name, attributes: { Arn: `arn:aws:logs:${context.region}:${context.accountId}:log-group:${name}:*` } };
  },
  // RetentionInDays, tags and the other settings have no call in the logs service's API yet
  // (LogsApi has no PutRetentionPolicy); an update records them in the stack without applying them.
  async update(resource) {
    return resource;
  },
  async delete(resource, _properties, context) {
    try {
      await context.deps.logs.deleteLogGroup(resource.physicalId);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};
