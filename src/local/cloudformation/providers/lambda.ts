/**
 * AWS::Lambda::Function, EventSourceMapping and Permission over the Lambda service.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html
 */
import { strToU8, zipSync } from "fflate";
import type * as lambda from "@aws-sdk/client-lambda";
import { AwsServiceError } from "../../aws-error.js";
import type { Properties, ProviderContext, ProvisionedResource, ResourceProvider } from "./types.js";
import { isNotFound, optionalBoolean, optionalInteger, optionalString, sameValue, stringList, stringMap, tagList } from "./values.js";

/** https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (FunctionName, 64 for a bare name) */
const MAX_FUNCTION_NAME_LENGTH = 64;
const CODE_PROPERTIES = new Set(["Code"]);
const CONCURRENCY_PROPERTIES = new Set(["ReservedConcurrentExecutions"]);
const TAG_PROPERTIES = new Set(["Tags"]);

/**
 * Inline code (Code.ZipFile): CloudFormation writes the text into a zip as `index.js` (Node.js)
 * or `index.py` (Python), which is why inline handlers are named `index.handler`.
 */
function inlineZip(source: string, runtime: string | undefined): Uint8Array {
  const file = runtime?.startsWith("python") ? "index.py" : "index.js";
  return zipSync({ [file]: strToU8(source) });
}

function functionCode(properties: Properties): lambda.FunctionCode {
  const code = (properties.Code ?? {}) as Record<string, unknown>;
  const zipFile = optionalString(code.ZipFile);
  if (zipFile !== undefined) return { ZipFile: inlineZip(zipFile, optionalString(properties.Runtime)) };
  if (code.S3Bucket !== undefined || code.S3Key !== undefined) {
    return {
      S3Bucket: optionalString(code.S3Bucket),
      S3Key: optionalString(code.S3Key),
      ...(code.S3ObjectVersion !== undefined ? { S3ObjectVersion: optionalString(code.S3ObjectVersion) } : {}),
    };
  }
  if (code.ImageUri !== undefined)
    throw new AwsServiceError("InvalidParameterValueException", "Container image functions are not supported by the wsq local cloud.");
  throw new AwsServiceError("InvalidParameterValueException", "Please provide a source for function code.");
}

function configuration(properties: Properties): Omit<lambda.UpdateFunctionConfigurationRequest, "FunctionName"> {
  const environment = properties.Environment as { Variables?: unknown } | undefined;
  return {
    Runtime: optionalString(properties.Runtime) as lambda.Runtime | undefined,
    Role: optionalString(properties.Role),
    Handler: optionalString(properties.Handler),
    Description: optionalString(properties.Description) ?? "",
    Timeout: optionalInteger(properties.Timeout) ?? 3,
    MemorySize: optionalInteger(properties.MemorySize) ?? 128,
    Environment: { Variables: stringMap(environment?.Variables) ?? {} },
    Layers: stringList(properties.Layers) ?? [],
    ...(properties.EphemeralStorage !== undefined
      ? { EphemeralStorage: { Size: optionalInteger((properties.EphemeralStorage as { Size?: unknown }).Size) } }
      : {}),
    ...(properties.LoggingConfig !== undefined ? { LoggingConfig: properties.LoggingConfig as lambda.LoggingConfig } : {}),
    ...(properties.TracingConfig !== undefined ? { TracingConfig: properties.TracingConfig as lambda.TracingConfig } : {}),
    ...(properties.DeadLetterConfig !== undefined ? { DeadLetterConfig: properties.DeadLetterConfig as lambda.DeadLetterConfig } : {}),
  };
}

/** Lambda assumes the function's role; a role this cloud knows must trust lambda.amazonaws.com. */
function checkRole(properties: Properties, context: ProviderContext): void {
  const arn = optionalString(properties.Role);
  if (arn === undefined) return;
  const role = context.iam.roleByArn(arn);
  if (role === undefined) return;
  if (!role.assumeRolePolicy.includes("lambda.amazonaws.com")) {
    throw new AwsServiceError("InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.");
  }
}

function functionResource(configurationResult: lambda.FunctionConfiguration, name: string, context: ProviderContext): ProvisionedResource {
  return {
    physicalId: name,
    attributes: { Arn: configurationResult.FunctionArn ?? `arn:aws:lambda:${context.region}:${context.accountId}:function:${name}` },
  };
}

function changedExcept(previous: Properties, next: Properties, ignore: Set<string>[]): boolean {
  const names = new Set([...Object.keys(previous), ...Object.keys(next)]);
  return [...names].some((name) => !ignore.some((set) => set.has(name)) && !sameValue(previous[name], next[name]));
}

export const lambdaFunctionProvider: ResourceProvider = {
  attributes: ["Arn", "SnapStartResponse", "SnapStartResponse.ApplyOn", "SnapStartResponse.OptimizationStatus"],
  async create(properties, context) {
    checkRole(properties, context);
    const name = optionalString(properties.FunctionName) ?? context.generateName({ maxLength: MAX_FUNCTION_NAME_LENGTH });
    const tags = tagList(properties.Tags);
    const result = await context.deps.lambda.createFunction({
      FunctionName: name,
      Code: functionCode(properties),
      ...configuration(properties),
      Role: optionalString(properties.Role),
      ...(tags ? { Tags: tags } : {}),
      ...(properties.Architectures !== undefined ? { Architectures: stringList(properties.Architectures) as lambda.Architecture[] } : {}),
    });
    const concurrency = optionalInteger(properties.ReservedConcurrentExecutions);
    if (concurrency !== undefined) await context.deps.lambda.putFunctionConcurrency({ FunctionName: name, ReservedConcurrentExecutions: concurrency });
    return functionResource(result, name, context);
  },
  async update(resource, previous, next, context) {
    checkRole(next, context);
    const name = resource.physicalId;
    let latest: lambda.FunctionConfiguration | undefined;
    if (!sameValue(previous.Code, next.Code) || !sameValue(previous.Architectures, next.Architectures)) {
      const code = functionCode(next);
      latest = await context.deps.lambda.updateFunctionCode({
        FunctionName: name,
        ...(code.ZipFile ? { ZipFile: code.ZipFile } : { S3Bucket: code.S3Bucket, S3Key: code.S3Key }),
        ...(next.Architectures !== undefined ? { Architectures: stringList(next.Architectures) as lambda.Architecture[] } : {}),
      });
    }
    if (changedExcept(previous, next, [CODE_PROPERTIES, CONCURRENCY_PROPERTIES, TAG_PROPERTIES])) {
      latest = await context.deps.lambda.updateFunctionConfiguration({ FunctionName: name, ...configuration(next) });
    }
    if (!sameValue(previous.ReservedConcurrentExecutions, next.ReservedConcurrentExecutions)) {
      const concurrency = optionalInteger(next.ReservedConcurrentExecutions);
      if (concurrency === undefined) await context.deps.lambda.deleteFunctionConcurrency({ FunctionName: name });
      else await context.deps.lambda.putFunctionConcurrency({ FunctionName: name, ReservedConcurrentExecutions: concurrency });
    }
    return latest === undefined ? resource : functionResource(latest, name, context);
  },
  async delete(resource, _properties, context) {
    try {
      await context.deps.lambda.deleteFunction({ FunctionName: resource.physicalId });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};

function mappingSettings(properties: Properties): Omit<lambda.UpdateEventSourceMappingRequest, "UUID"> {
  return {
    FunctionName: optionalString(properties.FunctionName),
    Enabled: optionalBoolean(properties.Enabled) ?? true,
    ...(properties.BatchSize !== undefined ? { BatchSize: optionalInteger(properties.BatchSize) } : {}),
    ...(properties.MaximumBatchingWindowInSeconds !== undefined
      ? { MaximumBatchingWindowInSeconds: optionalInteger(properties.MaximumBatchingWindowInSeconds) }
      : {}),
    ...(properties.FunctionResponseTypes !== undefined
      ? { FunctionResponseTypes: stringList(properties.FunctionResponseTypes) as lambda.FunctionResponseType[] }
      : {}),
    ...(properties.ScalingConfig !== undefined
      ? { ScalingConfig: { MaximumConcurrency: optionalInteger((properties.ScalingConfig as { MaximumConcurrency?: unknown }).MaximumConcurrency) } }
      : {}),
    ...(properties.FilterCriteria !== undefined ? { FilterCriteria: properties.FilterCriteria as lambda.FilterCriteria } : {}),
  };
}

export const eventSourceMappingProvider: ResourceProvider = {
  attributes: ["Id", "EventSourceMappingArn"],
  async create(properties, context) {
    const result = await context.deps.lambda.createEventSourceMapping({
      ...mappingSettings(properties),
      FunctionName: optionalString(properties.FunctionName),
      EventSourceArn: optionalString(properties.EventSourceArn),
    });
    const id = result.UUID!;
    return {
      physicalId: id,
      attributes: {
        Id: id,
        EventSourceMappingArn: result.EventSourceMappingArn ?? `arn:aws:lambda:${context.region}:${context.accountId}:event-source-mapping:${id}`,
      },
    };
  },
  async update(resource, _previous, next, context) {
    await context.deps.lambda.updateEventSourceMapping({ UUID: resource.physicalId, ...mappingSettings(next) });
    return resource;
  },
  async delete(resource, _properties, context) {
    try {
      await context.deps.lambda.deleteEventSourceMapping({ UUID: resource.physicalId });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};

export const lambdaPermissionProvider: ResourceProvider = {
  attributes: ["Id"],
  async create(properties, context) {
    const statementId = context.generateName({ maxLength: 100 });
    await context.deps.lambda.addPermission({
      FunctionName: optionalString(properties.FunctionName),
      StatementId: statementId,
      Action: optionalString(properties.Action),
      Principal: optionalString(properties.Principal),
      ...(properties.SourceArn !== undefined ? { SourceArn: optionalString(properties.SourceArn) } : {}),
      ...(properties.SourceAccount !== undefined ? { SourceAccount: optionalString(properties.SourceAccount) } : {}),
      ...(properties.EventSourceToken !== undefined ? { EventSourceToken: optionalString(properties.EventSourceToken) } : {}),
      ...(properties.PrincipalOrgID !== undefined ? { PrincipalOrgID: optionalString(properties.PrincipalOrgID) } : {}),
    });
    return { physicalId: statementId, attributes: { Id: statementId } };
  },
  async delete(resource, properties, context) {
    try {
      await context.deps.lambda.removePermission({ FunctionName: optionalString(properties.FunctionName), StatementId: resource.physicalId });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};
