/**
 * AWS::ApiGatewayV2::* over the API Gateway service. Ref returns the id CloudFormation documents
 * for each type (ApiId, RouteId, IntegrationId, …; a Stage's Ref is its name).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/AWS_ApiGatewayV2.html
 */
import type * as apigw from "@aws-sdk/client-apigatewayv2";
import type { Properties, ProviderContext, ProvisionedResource, ResourceProvider } from "./types.js";
import { isNotFound, optionalBoolean, optionalInteger, optionalString, stringList, stringMap } from "./values.js";

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

function str(properties: Properties, name: string): string | undefined {
  return optionalString(properties[name]);
}

function apiSettings(properties: Properties): Omit<apigw.UpdateApiRequest, "ApiId"> {
  return {
    Name: str(properties, "Name"),
    RouteSelectionExpression: str(properties, "RouteSelectionExpression"),
    ApiKeySelectionExpression: str(properties, "ApiKeySelectionExpression"),
    Description: str(properties, "Description"),
    DisableExecuteApiEndpoint: optionalBoolean(properties.DisableExecuteApiEndpoint),
    DisableSchemaValidation: optionalBoolean(properties.DisableSchemaValidation),
    Version: str(properties, "Version"),
    RouteKey: str(properties, "RouteKey"),
    Target: str(properties, "Target"),
    CredentialsArn: str(properties, "CredentialsArn"),
    ...(properties.CorsConfiguration !== undefined ? { CorsConfiguration: properties.CorsConfiguration as apigw.Cors } : {}),
  };
}

function apiResource(apiId: string, endpoint: string | undefined, context: ProviderContext): ProvisionedResource {
  return {
    physicalId: apiId,
    attributes: {
      ApiId: apiId,
      ApiEndpoint: endpoint ?? "",
      ExecuteApiArn: `arn:aws:execute-api:${context.region}:${context.accountId}:${apiId}`,
    },
  };
}

export const apiProvider: ResourceProvider = {
  attributes: ["ApiId", "ApiEndpoint", "ExecuteApiArn"],
  async create(properties, context) {
    const result = await context.deps.apigateway.createApi({
      ...apiSettings(properties),
      Name: str(properties, "Name"),
      ProtocolType: str(properties, "ProtocolType") as apigw.ProtocolType,
      ...(properties.Tags !== undefined ? { Tags: stringMap(properties.Tags) } : {}),
    });
    return apiResource(result.ApiId!, result.ApiEndpoint, context);
  },
  async update(resource, _previous, next, context) {
    const result = await context.deps.apigateway.updateApi({ ApiId: resource.physicalId, ...apiSettings(next) });
    return apiResource(resource.physicalId, result.ApiEndpoint ?? String(resource.attributes.ApiEndpoint), context);
  },
  async delete(resource, _properties, context) {
    await ignoreNotFound(context.deps.apigateway.deleteApi({ ApiId: resource.physicalId }));
  },
};

function routeSettings(properties: Properties): Omit<apigw.UpdateRouteRequest, "ApiId" | "RouteId"> {
  return {
    RouteKey: str(properties, "RouteKey"),
    Target: str(properties, "Target"),
    AuthorizationType: str(properties, "AuthorizationType") as apigw.AuthorizationType | undefined,
    AuthorizerId: str(properties, "AuthorizerId"),
    AuthorizationScopes: stringList(properties.AuthorizationScopes),
    ApiKeyRequired: optionalBoolean(properties.ApiKeyRequired),
    OperationName: str(properties, "OperationName"),
    ModelSelectionExpression: str(properties, "ModelSelectionExpression"),
    RouteResponseSelectionExpression: str(properties, "RouteResponseSelectionExpression"),
    ...(properties.RequestModels !== undefined ? { RequestModels: stringMap(properties.RequestModels) } : {}),
    ...(properties.RequestParameters !== undefined ? { RequestParameters: properties.RequestParameters as Record<string, apigw.ParameterConstraints> } : {}),
  };
}

export const routeProvider: ResourceProvider = {
  attributes: ["RouteId"],
  async create(properties, context) {
    const result = await context.deps.apigateway.createRoute({
      ApiId: str(properties, "ApiId"),
      ...routeSettings(properties),
      RouteKey: str(properties, "RouteKey"),
    });
    return { physicalId: result.RouteId!, attributes: { RouteId: result.RouteId! } };
  },
  async update(resource, _previous, next, context) {
    await context.deps.apigateway.updateRoute({ ApiId: str(next, "ApiId"), RouteId: resource.physicalId, ...routeSettings(next) });
    return resource;
  },
  async delete(resource, properties, context) {
    await ignoreNotFound(context.deps.apigateway.deleteRoute({ ApiId: str(properties, "ApiId"), RouteId: resource.physicalId }));
  },
};

export const routeResponseProvider: ResourceProvider = {
  attributes: ["RouteResponseId"],
  async create(properties, context) {
    const result = await context.deps.apigateway.createRouteResponse({
      ApiId: str(properties, "ApiId"),
      RouteId: str(properties, "RouteId"),
      RouteResponseKey: str(properties, "RouteResponseKey"),
      ModelSelectionExpression: str(properties, "ModelSelectionExpression"),
      ...(properties.ResponseModels !== undefined ? { ResponseModels: stringMap(properties.ResponseModels) } : {}),
      ...(properties.ResponseParameters !== undefined
        ? { ResponseParameters: properties.ResponseParameters as Record<string, apigw.ParameterConstraints> }
        : {}),
    });
    return { physicalId: result.RouteResponseId!, attributes: { RouteResponseId: result.RouteResponseId! } };
  },
  async update(resource, _previous, next, context) {
    await context.deps.apigateway.updateRouteResponse({
      ApiId: str(next, "ApiId"),
      RouteId: str(next, "RouteId"),
      RouteResponseId: resource.physicalId,
      RouteResponseKey: str(next, "RouteResponseKey"),
      ModelSelectionExpression: str(next, "ModelSelectionExpression"),
      ...(next.ResponseModels !== undefined ? { ResponseModels: stringMap(next.ResponseModels) } : {}),
      ...(next.ResponseParameters !== undefined ? { ResponseParameters: next.ResponseParameters as Record<string, apigw.ParameterConstraints> } : {}),
    });
    return resource;
  },
  async delete(resource, properties, context) {
    await ignoreNotFound(
      context.deps.apigateway.deleteRouteResponse({
        ApiId: str(properties, "ApiId"),
        RouteId: str(properties, "RouteId"),
        RouteResponseId: resource.physicalId,
      }),
    );
  },
};

function integrationSettings(properties: Properties): Omit<apigw.UpdateIntegrationRequest, "ApiId" | "IntegrationId"> {
  return {
    IntegrationType: str(properties, "IntegrationType") as apigw.IntegrationType | undefined,
    IntegrationUri: str(properties, "IntegrationUri"),
    IntegrationMethod: str(properties, "IntegrationMethod"),
    IntegrationSubtype: str(properties, "IntegrationSubtype"),
    ConnectionType: str(properties, "ConnectionType") as apigw.ConnectionType | undefined,
    ConnectionId: str(properties, "ConnectionId"),
    CredentialsArn: str(properties, "CredentialsArn"),
    Description: str(properties, "Description"),
    PassthroughBehavior: str(properties, "PassthroughBehavior") as apigw.PassthroughBehavior | undefined,
    PayloadFormatVersion: str(properties, "PayloadFormatVersion"),
    TemplateSelectionExpression: str(properties, "TemplateSelectionExpression"),
    ContentHandlingStrategy: str(properties, "ContentHandlingStrategy") as apigw.ContentHandlingStrategy | undefined,
    TimeoutInMillis: optionalInteger(properties.TimeoutInMillis),
    ...(properties.RequestParameters !== undefined ? { RequestParameters: stringMap(properties.RequestParameters) } : {}),
    ...(properties.RequestTemplates !== undefined ? { RequestTemplates: stringMap(properties.RequestTemplates) } : {}),
    ...(properties.ResponseParameters !== undefined ? { ResponseParameters: properties.ResponseParameters as Record<string, Record<string, string>> } : {}),
    ...(properties.TlsConfig !== undefined ? { TlsConfig: properties.TlsConfig as apigw.TlsConfigInput } : {}),
  };
}

export const integrationProvider: ResourceProvider = {
  attributes: ["IntegrationId"],
  async create(properties, context) {
    const result = await context.deps.apigateway.createIntegration({
      ApiId: str(properties, "ApiId"),
      ...integrationSettings(properties),
      IntegrationType: str(properties, "IntegrationType") as apigw.IntegrationType,
    });
    return { physicalId: result.IntegrationId!, attributes: { IntegrationId: result.IntegrationId! } };
  },
  async update(resource, _previous, next, context) {
    await context.deps.apigateway.updateIntegration({ ApiId: str(next, "ApiId"), IntegrationId: resource.physicalId, ...integrationSettings(next) });
    return resource;
  },
  async delete(resource, properties, context) {
    await ignoreNotFound(context.deps.apigateway.deleteIntegration({ ApiId: str(properties, "ApiId"), IntegrationId: resource.physicalId }));
  },
};

function integrationResponseSettings(
  properties: Properties,
): Omit<apigw.UpdateIntegrationResponseRequest, "ApiId" | "IntegrationId" | "IntegrationResponseId"> {
  return {
    IntegrationResponseKey: str(properties, "IntegrationResponseKey"),
    TemplateSelectionExpression: str(properties, "TemplateSelectionExpression"),
    ContentHandlingStrategy: str(properties, "ContentHandlingStrategy") as apigw.ContentHandlingStrategy | undefined,
    ...(properties.ResponseTemplates !== undefined ? { ResponseTemplates: stringMap(properties.ResponseTemplates) } : {}),
    ...(properties.ResponseParameters !== undefined ? { ResponseParameters: stringMap(properties.ResponseParameters) } : {}),
  };
}

export const integrationResponseProvider: ResourceProvider = {
  attributes: ["IntegrationResponseId"],
  async create(properties, context) {
    const result = await context.deps.apigateway.createIntegrationResponse({
      ApiId: str(properties, "ApiId"),
      IntegrationId: str(properties, "IntegrationId"),
      ...integrationResponseSettings(properties),
      IntegrationResponseKey: str(properties, "IntegrationResponseKey"),
    });
    return { physicalId: result.IntegrationResponseId!, attributes: { IntegrationResponseId: result.IntegrationResponseId! } };
  },
  async update(resource, _previous, next, context) {
    await context.deps.apigateway.updateIntegrationResponse({
      ApiId: str(next, "ApiId"),
      IntegrationId: str(next, "IntegrationId"),
      IntegrationResponseId: resource.physicalId,
      ...integrationResponseSettings(next),
    });
    return resource;
  },
  async delete(resource, properties, context) {
    await ignoreNotFound(
      context.deps.apigateway.deleteIntegrationResponse({
        ApiId: str(properties, "ApiId"),
        IntegrationId: str(properties, "IntegrationId"),
        IntegrationResponseId: resource.physicalId,
      }),
    );
  },
};

function stageSettings(properties: Properties): Omit<apigw.UpdateStageRequest, "ApiId" | "StageName"> {
  return {
    AutoDeploy: optionalBoolean(properties.AutoDeploy),
    DeploymentId: str(properties, "DeploymentId"),
    Description: str(properties, "Description"),
    ClientCertificateId: str(properties, "ClientCertificateId"),
    ...(properties.DefaultRouteSettings !== undefined ? { DefaultRouteSettings: properties.DefaultRouteSettings as apigw.RouteSettings } : {}),
    ...(properties.RouteSettings !== undefined ? { RouteSettings: properties.RouteSettings as Record<string, apigw.RouteSettings> } : {}),
    ...(properties.StageVariables !== undefined ? { StageVariables: stringMap(properties.StageVariables) } : {}),
    ...(properties.AccessLogSettings !== undefined ? { AccessLogSettings: properties.AccessLogSettings as apigw.AccessLogSettings } : {}),
  };
}

export const stageProvider: ResourceProvider = {
  attributes: [],
  async create(properties, context) {
    const stageName = str(properties, "StageName")!;
    await context.deps.apigateway.createStage({
      ApiId: str(properties, "ApiId"),
      StageName: stageName,
      ...stageSettings(properties),
      ...(properties.Tags !== undefined ? { Tags: stringMap(properties.Tags) } : {}),
    });
    return { physicalId: stageName, attributes: {} };
  },
  async update(resource, _previous, next, context) {
    await context.deps.apigateway.updateStage({ ApiId: str(next, "ApiId"), StageName: resource.physicalId, ...stageSettings(next) });
    return resource;
  },
  async delete(resource, properties, context) {
    await ignoreNotFound(context.deps.apigateway.deleteStage({ ApiId: str(properties, "ApiId"), StageName: resource.physicalId }));
  },
};

/**
 * The API Gateway service's API has no UpdateDeployment, so a changed Description or StageName
 * replaces the deployment (a new deployment of the same API) instead of updating it in place.
 */
export const deploymentProvider: ResourceProvider = {
  attributes: ["DeploymentId"],
  alsoReplaceOn: ["Description", "StageName"],
  async create(properties, context) {
    const result = await context.deps.apigateway.createDeployment({
      ApiId: str(properties, "ApiId"),
      Description: str(properties, "Description"),
      StageName: str(properties, "StageName"),
    });
    return { physicalId: result.DeploymentId!, attributes: { DeploymentId: result.DeploymentId! } };
  },
  async delete(resource, properties, context) {
    await ignoreNotFound(context.deps.apigateway.deleteDeployment({ ApiId: str(properties, "ApiId"), DeploymentId: resource.physicalId }));
  },
};
