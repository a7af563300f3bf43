/**
 * API Gateway v2's control plane for WebSocket APIs: the typed calls the CloudFormation providers
 * (and tests) make, with API Gateway's validation and errors, kept in memory and written through
 * to SQLite. The data plane asks it which configuration a stage serves.
 */
import type * as apigw from "@aws-sdk/client-apigatewayv2";
import type { LocalContext } from "../context.js";
import { localApiEndpoint, type ApiGatewayApi } from "../contracts.js";
import { apigwErrors } from "./errors.js";
import { resourceId } from "./ids.js";
import type {
  ApiConfiguration,
  ApiRecord,
  DeploymentRecord,
  IntegrationRecord,
  IntegrationResponseRecord,
  IntegrationType,
  RouteRecord,
  RouteResponseRecord,
  StageRecord,
} from "./model.js";
import type { ApiGatewayStore } from "./store.js";

/** https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html */
export const LIMITS = { routesPerApi: 300, integrationsPerApi: 300, stagesPerApi: 10, integrationTimeoutMs: { min: 50, max: 29_000 } } as const;

const INTEGRATION_TYPES = new Set<IntegrationType>(["AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK"]);
const PASSTHROUGH = new Set(["WHEN_NO_MATCH", "NEVER", "WHEN_NO_TEMPLATES"]);
/** WebSocket route selection must read the message body: `$request.body.path` or `${request.body.path}`. */
const ROUTE_SELECTION = /^(\$request\.body\.[^\s]+|\$\{request\.body\.[^\s}]+\})$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

interface ApiState {
  api: ApiRecord;
  routes: Map<string, RouteRecord>;
  integrations: Map<string, IntegrationRecord>;
  routeResponses: Map<string, RouteResponseRecord>;
  integrationResponses: Map<string, IntegrationResponseRecord>;
  stages: Map<string, StageRecord>;
  deployments: Map<string, DeploymentRecord>;
}

/** What the data plane needs to serve one stage. */
export interface ServedStage {
  api: ApiRecord;
  stage: StageRecord;
  configuration: ApiConfiguration;
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function dates<T extends { CreatedDate?: string; LastUpdatedDate?: string }>(
  record: T,
): Omit<T, "CreatedDate" | "LastUpdatedDate"> & { CreatedDate?: Date; LastUpdatedDate?: Date } {
  const { CreatedDate, LastUpdatedDate, ...rest } = record;
  return {
    ...rest,
    ...(CreatedDate !== undefined ? { CreatedDate: new Date(CreatedDate) } : {}),
    ...(LastUpdatedDate !== undefined ? { LastUpdatedDate: new Date(LastUpdatedDate) } : {}),
  };
}

/**
 * The members each Update call may change: those it is given change, the others keep their value
 * (API Gateway's update semantics). The ids that address the resource are not among them.
 */
const UPDATABLE = {
  api: ["Name", "RouteSelectionExpression", "ApiKeySelectionExpression", "Description", "DisableExecuteApiEndpoint", "DisableSchemaValidation", "Version"],
  route: [
    "RouteKey",
    "Target",
    "AuthorizationType",
    "AuthorizerId",
    "ApiKeyRequired",
    "OperationName",
    "ModelSelectionExpression",
    "RouteResponseSelectionExpression",
    "RequestModels",
    "RequestParameters",
  ],
  routeResponse: ["RouteResponseKey", "ModelSelectionExpression", "ResponseModels", "ResponseParameters"],
  integration: [
    "IntegrationType",
    "IntegrationUri",
    "IntegrationMethod",
    "IntegrationSubtype",
    "ConnectionType",
    "ConnectionId",
    "CredentialsArn",
    "Description",
    "PassthroughBehavior",
    "PayloadFormatVersion",
    "RequestParameters",
    "RequestTemplates",
    "TemplateSelectionExpression",
    "ContentHandlingStrategy",
    "TimeoutInMillis",
  ],
  integrationResponse: ["IntegrationResponseKey", "ResponseTemplates", "TemplateSelectionExpression", "ContentHandlingStrategy", "ResponseParameters"],
  stage: ["DeploymentId", "AutoDeploy", "Description", "DefaultRouteSettings", "RouteSettings", "StageVariables"],
} as const;

/** `current` with every member of `fields` that `input` gives (neither undefined nor null) replaced. */
function applyUpdate<R extends object, K extends keyof R & string>(current: R, input: { [F in K]?: R[F] | null }, fields: readonly K[]): R {
  const updated = { ...current };
  for (const field of fields) {
    const value = input[field];
    if (value !== undefined && value !== null) updated[field] = value;
  }
  return updated;
}

export class ApiGatewayControlPlane implements ApiGatewayApi {
  private readonly apis = new Map<string, ApiState>();
  /** Called when an API or stage goes away, so its connections can be closed. */
  onRemoved: (apiId: string, stageName?: string) => void = () => {};

  constructor(
    private readonly ctx: LocalContext,
    private readonly store: ApiGatewayStore,
  ) {
    for (const row of store.load()) {
      if (row.kind === "api") this.apis.set(row.apiId, emptyState(row.body as ApiRecord));
    }
    for (const row of store.load()) {
      const state = this.apis.get(row.apiId);
      if (state === undefined) continue;
      switch (row.kind) {
        case "route":
          state.routes.set(row.id, row.body as RouteRecord);
          break;
        case "integration":
          state.integrations.set(row.id, row.body as IntegrationRecord);
          break;
        case "routeResponse":
          state.routeResponses.set(row.id, row.body as RouteResponseRecord);
          break;
        case "integrationResponse":
          state.integrationResponses.set(row.id, row.body as IntegrationResponseRecord);
          break;
        case "stage":
          state.stages.set(row.id, row.body as StageRecord);
          break;
        case "deployment":
          state.deployments.set(row.id, row.body as DeploymentRecord);
          break;
        default:
          break;
      }
    }
  }

  // ------------------------------------------------------------------ data plane lookups
  /** The stage an upgrade URL names and the configuration it serves; undefined when there is none. */
  servedStage(apiId: string, stageName: string): ServedStage | undefined {
    const state = this.apis.get(apiId);
    const stage = state?.stages.get(stageName);
    if (state === undefined || stage === undefined) return undefined;
    if (stage.AutoDeploy === true) return { api: state.api, stage, configuration: this.liveConfiguration(state) };
    const deployment = stage.DeploymentId === undefined ? undefined : state.deployments.get(stage.DeploymentId);
    if (deployment === undefined) return undefined;
    return { api: state.api, stage, configuration: deployment.configuration };
  }

  hasApi(apiId: string): boolean {
    return this.apis.has(apiId);
  }

  // ------------------------------------------------------------------ APIs
  async createApi(input: apigw.CreateApiRequest): Promise<apigw.CreateApiResponse> {
    if (!input.Name) throw apigwErrors.badRequest("Name is required.");
    if (input.ProtocolType !== "WEBSOCKET") {
      throw apigwErrors.badRequest(`ProtocolType ${String(input.ProtocolType)} is not served by the wsq local cloud: it runs WebSocket APIs only.`);
    }
    this.checkRouteSelection(input.RouteSelectionExpression);
    const api: ApiRecord = defined({
      ApiId: this.newId((id) => this.apis.has(id), 10),
      Name: input.Name,
      ProtocolType: "WEBSOCKET" as const,
      RouteSelectionExpression: input.RouteSelectionExpression!,
      ApiKeySelectionExpression: input.ApiKeySelectionExpression ?? "$request.header.x-api-key",
      Description: input.Description,
      DisableExecuteApiEndpoint: input.DisableExecuteApiEndpoint,
      DisableSchemaValidation: input.DisableSchemaValidation,
      Version: input.Version,
      Tags: input.Tags,
      CreatedDate: new Date(this.ctx.clock.now()).toISOString(),
    });
    this.apis.set(api.ApiId, emptyState(api));
    this.store.put(api.ApiId, "api", api.ApiId, api);
    return this.apiOutput(api);
  }

  async updateApi(input: apigw.UpdateApiRequest): Promise<apigw.UpdateApiResponse> {
    const state = this.state(input.ApiId);
    if (input.RouteSelectionExpression !== undefined) this.checkRouteSelection(input.RouteSelectionExpression);
    state.api = applyUpdate(state.api, input, UPDATABLE.api);
    this.store.put(state.api.ApiId, "api", state.api.ApiId, state.api);
    this.changed(state);
    return this.apiOutput(state.api);
  }

  async getApi(input: apigw.GetApiRequest): Promise<apigw.GetApiResponse> {
    return this.apiOutput(this.state(input.ApiId).api);
  }

  async deleteApi(input: apigw.DeleteApiRequest): Promise<void> {
    const state = this.state(input.ApiId);
    this.apis.delete(state.api.ApiId);
    this.store.deleteApi(state.api.ApiId);
    this.onRemoved(state.api.ApiId);
  }

  // ------------------------------------------------------------------ routes
  async createRoute(input: apigw.CreateRouteRequest): Promise<apigw.CreateRouteResult> {
    const state = this.state(input.ApiId);
    if (!input.RouteKey) throw apigwErrors.badRequest("RouteKey is required.");
    if ([...state.routes.values()].some((route) => route.RouteKey === input.RouteKey))
      throw apigwErrors.conflict(`Unable to create route ${input.RouteKey}. A route with that key already exists for this API.`);
    if (state.routes.size >= LIMITS.routesPerApi) throw apigwErrors.badRequest(`An API has at most ${LIMITS.routesPerApi} routes.`);
    this.checkTarget(state, input.Target);
    const route: RouteRecord = defined({
      RouteId: this.newId((id) => state.routes.has(id), 7),
      RouteKey: input.RouteKey,
      Target: input.Target,
      AuthorizationType: input.AuthorizationType ?? "NONE",
      AuthorizerId: input.AuthorizerId,
      ApiKeyRequired: input.ApiKeyRequired ?? false,
      OperationName: input.OperationName,
      ModelSelectionExpression: input.ModelSelectionExpression,
      RouteResponseSelectionExpression: input.RouteResponseSelectionExpression,
      RequestModels: input.RequestModels,
      RequestParameters: input.RequestParameters,
    });
    state.routes.set(route.RouteId, route);
    this.store.put(state.api.ApiId, "route", route.RouteId, route);
    this.changed(state);
    return { ...route, ApiGatewayManaged: false } as apigw.CreateRouteResult;
  }

  async updateRoute(input: apigw.UpdateRouteRequest): Promise<apigw.UpdateRouteResult> {
    const state = this.state(input.ApiId);
    const route = this.route(state, input.RouteId);
    if (input.RouteKey !== undefined && input.RouteKey !== route.RouteKey && [...state.routes.values()].some((other) => other.RouteKey === input.RouteKey)) {
      throw apigwErrors.conflict(`A route with key ${input.RouteKey} already exists for this API.`);
    }
    if (input.Target !== undefined) this.checkTarget(state, input.Target);
    const updated: RouteRecord = applyUpdate(route, input, UPDATABLE.route);
    state.routes.set(updated.RouteId, updated);
    this.store.put(state.api.ApiId, "route", updated.RouteId, updated);
    this.changed(state);
    return { ...updated, ApiGatewayManaged: false } as apigw.UpdateRouteResult;
  }

  async deleteRoute(input: apigw.DeleteRouteRequest): Promise<void> {
    const state = this.state(input.ApiId);
    const route = this.route(state, input.RouteId);
    state.routes.delete(route.RouteId);
    this.store.delete(state.api.ApiId, "route", route.RouteId);
    for (const response of [...state.routeResponses.values()].filter((r) => r.RouteId === route.RouteId)) {
      state.routeResponses.delete(response.RouteResponseId);
      this.store.delete(state.api.ApiId, "routeResponse", response.RouteResponseId);
    }
    this.changed(state);
  }

  async createRouteResponse(input: apigw.CreateRouteResponseRequest): Promise<apigw.CreateRouteResponseResponse> {
    const state = this.state(input.ApiId);
    const route = this.route(state, input.RouteId);
    if (!input.RouteResponseKey) throw apigwErrors.badRequest("RouteResponseKey is required.");
    if (input.RouteResponseKey !== "$default") throw apigwErrors.badRequest("WebSocket routes support only the $default route response key.");
    if ([...state.routeResponses.values()].some((r) => r.RouteId === route.RouteId)) throw apigwErrors.conflict("This route already has a route response.");
    const response: RouteResponseRecord = defined({
      RouteId: route.RouteId,
      RouteResponseId: this.newId((id) => state.routeResponses.has(id), 6),
      RouteResponseKey: input.RouteResponseKey,
      ModelSelectionExpression: input.ModelSelectionExpression,
      ResponseModels: input.ResponseModels,
      ResponseParameters: input.ResponseParameters,
    });
    state.routeResponses.set(response.RouteResponseId, response);
    this.store.put(state.api.ApiId, "routeResponse", response.RouteResponseId, response);
    this.changed(state);
    return withoutRouteId(response);
  }

  async updateRouteResponse(input: apigw.UpdateRouteResponseRequest): Promise<apigw.UpdateRouteResponseResponse> {
    const state = this.state(input.ApiId);
    const response = state.routeResponses.get(input.RouteResponseId ?? "");
    if (response === undefined || response.RouteId !== input.RouteId)
      throw apigwErrors.notFound(`Invalid RouteResponse identifier specified ${String(input.RouteResponseId)}`);
    const updated: RouteResponseRecord = applyUpdate(response, input, UPDATABLE.routeResponse);
    state.routeResponses.set(updated.RouteResponseId, updated);
    this.store.put(state.api.ApiId, "routeResponse", updated.RouteResponseId, updated);
    this.changed(state);
    return withoutRouteId(updated);
  }

  async deleteRouteResponse(input: apigw.DeleteRouteResponseRequest): Promise<void> {
    const state = this.state(input.ApiId);
    const response = state.routeResponses.get(input.RouteResponseId ?? "");
    if (response === undefined || response.RouteId !== input.RouteId)
      throw apigwErrors.notFound(`Invalid RouteResponse identifier specified ${String(input.RouteResponseId)}`);
    state.routeResponses.delete(response.RouteResponseId);
    this.store.delete(state.api.ApiId, "routeResponse", response.RouteResponseId);
    this.changed(state);
  }

  // ------------------------------------------------------------------ integrations
  async createIntegration(input: apigw.CreateIntegrationRequest): Promise<apigw.CreateIntegrationResult> {
    const state = this.state(input.ApiId);
    if (state.integrations.size >= LIMITS.integrationsPerApi) throw apigwErrors.badRequest(`An API has at most ${LIMITS.integrationsPerApi} integrations.`);
    const integration = this.checkIntegration(
      defined({
        IntegrationId: this.newId((id) => state.integrations.has(id), 7),
        IntegrationType: input.IntegrationType as IntegrationType,
        IntegrationUri: input.IntegrationUri,
        IntegrationMethod: input.IntegrationMethod,
        IntegrationSubtype: input.IntegrationSubtype,
        ConnectionType: input.ConnectionType ?? "INTERNET",
        ConnectionId: input.ConnectionId,
        CredentialsArn: input.CredentialsArn,
        Description: input.Description,
        PassthroughBehavior: input.PassthroughBehavior ?? "WHEN_NO_MATCH",
        PayloadFormatVersion: input.PayloadFormatVersion ?? "1.0",
        RequestParameters: input.RequestParameters,
        RequestTemplates: input.RequestTemplates,
        TemplateSelectionExpression: input.TemplateSelectionExpression,
        ContentHandlingStrategy: input.ContentHandlingStrategy,
        TimeoutInMillis: input.TimeoutInMillis ?? LIMITS.integrationTimeoutMs.max,
      }),
    );
    state.integrations.set(integration.IntegrationId, integration);
    this.store.put(state.api.ApiId, "integration", integration.IntegrationId, integration);
    this.changed(state);
    return { ...integration, ApiGatewayManaged: false } as apigw.CreateIntegrationResult;
  }

  async updateIntegration(input: apigw.UpdateIntegrationRequest): Promise<apigw.UpdateIntegrationResult> {
    const state = this.state(input.ApiId);
    const current = this.integration(state, input.IntegrationId);
    const updated = this.checkIntegration(applyUpdate(current, input, UPDATABLE.integration));
    state.integrations.set(updated.IntegrationId, updated);
    this.store.put(state.api.ApiId, "integration", updated.IntegrationId, updated);
    this.changed(state);
    return { ...updated, ApiGatewayManaged: false } as apigw.UpdateIntegrationResult;
  }

  async deleteIntegration(input: apigw.DeleteIntegrationRequest): Promise<void> {
    const state = this.state(input.ApiId);
    const integration = this.integration(state, input.IntegrationId);
    const user = [...state.routes.values()].find((route) => route.Target === `integrations/${integration.IntegrationId}`);
    if (user !== undefined) throw apigwErrors.conflict(`Cannot delete integration ${integration.IntegrationId}: route ${user.RouteKey} targets it.`);
    state.integrations.delete(integration.IntegrationId);
    this.store.delete(state.api.ApiId, "integration", integration.IntegrationId);
    for (const response of [...state.integrationResponses.values()].filter((r) => r.IntegrationId === integration.IntegrationId)) {
      state.integrationResponses.delete(response.IntegrationResponseId);
      this.store.delete(state.api.ApiId, "integrationResponse", response.IntegrationResponseId);
    }
    this.changed(state);
  }

  async createIntegrationResponse(input: apigw.CreateIntegrationResponseRequest): Promise<apigw.CreateIntegrationResponseResponse> {
    const state = this.state(input.ApiId);
    const integration = this.integration(state, input.IntegrationId);
    if (!input.IntegrationResponseKey) throw apigwErrors.badRequest("IntegrationResponseKey is required.");
    const response: IntegrationResponseRecord = defined({
      IntegrationId: integration.IntegrationId,
      IntegrationResponseId: this.newId((id) => state.integrationResponses.has(id), 6),
      IntegrationResponseKey: input.IntegrationResponseKey,
      ResponseTemplates: input.ResponseTemplates,
      TemplateSelectionExpression: input.TemplateSelectionExpression,
      ContentHandlingStrategy: input.ContentHandlingStrategy,
      ResponseParameters: input.ResponseParameters,
    });
    state.integrationResponses.set(response.IntegrationResponseId, response);
    this.store.put(state.api.ApiId, "integrationResponse", response.IntegrationResponseId, response);
    this.changed(state);
    return withoutIntegrationId(response) as apigw.CreateIntegrationResponseResponse;
  }

  async updateIntegrationResponse(input: apigw.UpdateIntegrationResponseRequest): Promise<apigw.UpdateIntegrationResponseResponse> {
    const state = this.state(input.ApiId);
    const response = state.integrationResponses.get(input.IntegrationResponseId ?? "");
    if (response === undefined || response.IntegrationId !== input.IntegrationId)
      throw apigwErrors.notFound(`Invalid IntegrationResponse identifier specified ${String(input.IntegrationResponseId)}`);
    const updated: IntegrationResponseRecord = applyUpdate(response, input, UPDATABLE.integrationResponse);
    state.integrationResponses.set(updated.IntegrationResponseId, updated);
    this.store.put(state.api.ApiId, "integrationResponse", updated.IntegrationResponseId, updated);
    this.changed(state);
    return withoutIntegrationId(updated) as apigw.UpdateIntegrationResponseResponse;
  }

  async deleteIntegrationResponse(input: apigw.DeleteIntegrationResponseRequest): Promise<void> {
    const state = this.state(input.ApiId);
    const response = state.integrationResponses.get(input.IntegrationResponseId ?? "");
    if (response === undefined || response.IntegrationId !== input.IntegrationId)
      throw apigwErrors.notFound(`Invalid IntegrationResponse identifier specified ${String(input.IntegrationResponseId)}`);
    state.integrationResponses.delete(response.IntegrationResponseId);
    this.store.delete(state.api.ApiId, "integrationResponse", response.IntegrationResponseId);
    this.changed(state);
  }

  // ------------------------------------------------------------------ stages and deployments
  async createStage(input: apigw.CreateStageRequest): Promise<apigw.CreateStageResponse> {
    const state = this.state(input.ApiId);
    if (!input.StageName || !STAGE_NAME.test(input.StageName)) throw apigwErrors.badRequest(`Stage name must match ${STAGE_NAME.source}.`);
    if (state.stages.has(input.StageName)) throw apigwErrors.conflict(`Stage already exists: ${input.StageName}`);
    if (state.stages.size >= LIMITS.stagesPerApi) throw apigwErrors.badRequest(`An API has at most ${LIMITS.stagesPerApi} stages.`);
    if (input.DeploymentId !== undefined && !state.deployments.has(input.DeploymentId))
      throw apigwErrors.notFound(`Invalid Deployment identifier specified ${input.DeploymentId}`);
    const now = new Date(this.ctx.clock.now()).toISOString();
    const stage: StageRecord = defined({
      StageName: input.StageName,
      DeploymentId: input.DeploymentId,
      AutoDeploy: input.AutoDeploy ?? false,
      Description: input.Description,
      DefaultRouteSettings: input.DefaultRouteSettings,
      RouteSettings: input.RouteSettings,
      StageVariables: input.StageVariables,
      Tags: input.Tags,
      CreatedDate: now,
      LastUpdatedDate: now,
    });
    state.stages.set(stage.StageName, stage);
    if (stage.AutoDeploy === true) this.autoDeploy(state, stage);
    else this.store.put(state.api.ApiId, "stage", stage.StageName, stage);
    return this.stageOutput(state.stages.get(stage.StageName)!);
  }

  async updateStage(input: apigw.UpdateStageRequest): Promise<apigw.UpdateStageResponse> {
    const state = this.state(input.ApiId);
    const stage = state.stages.get(input.StageName ?? "");
    if (stage === undefined) throw apigwErrors.notFound(`Invalid stage identifier specified ${String(input.StageName)}`);
    if (input.DeploymentId !== undefined && !state.deployments.has(input.DeploymentId))
      throw apigwErrors.notFound(`Invalid Deployment identifier specified ${input.DeploymentId}`);
    const updated: StageRecord = { ...applyUpdate(stage, input, UPDATABLE.stage), LastUpdatedDate: new Date(this.ctx.clock.now()).toISOString() };
    state.stages.set(updated.StageName, updated);
    if (updated.AutoDeploy === true && stage.AutoDeploy !== true) this.autoDeploy(state, updated);
    else this.store.put(state.api.ApiId, "stage", updated.StageName, updated);
    return this.stageOutput(state.stages.get(updated.StageName)!);
  }

  async deleteStage(input: apigw.DeleteStageRequest): Promise<void> {
    const state = this.state(input.ApiId);
    if (!state.stages.has(input.StageName ?? "")) throw apigwErrors.notFound(`Invalid stage identifier specified ${String(input.StageName)}`);
    state.stages.delete(input.StageName!);
    this.store.delete(state.api.ApiId, "stage", input.StageName!);
    this.onRemoved(state.api.ApiId, input.StageName);
  }

  async createDeployment(input: apigw.CreateDeploymentRequest): Promise<apigw.CreateDeploymentResponse> {
    const state = this.state(input.ApiId);
    if (state.routes.size === 0) throw apigwErrors.badRequest("At least one route is required before deploying the Api.");
    const stage = input.StageName === undefined ? undefined : state.stages.get(input.StageName);
    if (input.StageName !== undefined && stage === undefined) throw apigwErrors.badRequest(`Invalid stage identifier specified ${input.StageName}`);
    const deployment = this.snapshot(state, false, input.Description);
    if (stage !== undefined) {
      const updated = { ...stage, DeploymentId: deployment.DeploymentId, LastUpdatedDate: deployment.CreatedDate };
      state.stages.set(updated.StageName, updated);
      this.store.put(state.api.ApiId, "stage", updated.StageName, updated);
    }
    return this.deploymentOutput(deployment);
  }

  async deleteDeployment(input: apigw.DeleteDeploymentRequest): Promise<void> {
    const state = this.state(input.ApiId);
    if (!state.deployments.has(input.DeploymentId ?? "")) throw apigwErrors.notFound(`Invalid Deployment identifier specified ${String(input.DeploymentId)}`);
    const user = [...state.stages.values()].find((stage) => stage.DeploymentId === input.DeploymentId);
    if (user !== undefined) throw apigwErrors.badRequest(`Active stages pointing to this deployment must be moved or deleted: ${user.StageName}`);
    state.deployments.delete(input.DeploymentId!);
    this.store.delete(state.api.ApiId, "deployment", input.DeploymentId!);
  }

  // ------------------------------------------------------------------ helpers
  private state(apiId: string | undefined): ApiState {
    const state = this.apis.get(apiId ?? "");
    if (state === undefined) throw apigwErrors.notFound(`Invalid API identifier specified ${String(apiId)}`);
    return state;
  }

  private route(state: ApiState, routeId: string | undefined): RouteRecord {
    const route = state.routes.get(routeId ?? "");
    if (route === undefined) throw apigwErrors.notFound(`Invalid Route identifier specified ${String(routeId)}`);
    return route;
  }

  private integration(state: ApiState, integrationId: string | undefined): IntegrationRecord {
    const integration = state.integrations.get(integrationId ?? "");
    if (integration === undefined) throw apigwErrors.notFound(`Invalid Integration identifier specified ${String(integrationId)}`);
    return integration;
  }

  private checkRouteSelection(expression: string | undefined): void {
    if (expression === undefined || !ROUTE_SELECTION.test(expression)) {
      throw apigwErrors.badRequest("The route selection expression of a WebSocket API must be of the form $request.body.{path_to_body_element}.");
    }
  }

  private checkTarget(state: ApiState, target: string | undefined): void {
    if (target === undefined) return;
    const id = /^integrations\/([A-Za-z0-9]+)$/.exec(target)?.[1];
    if (id === undefined || !state.integrations.has(id)) throw apigwErrors.badRequest(`Invalid integration identifier specified in target: ${target}`);
  }

  private checkIntegration(integration: IntegrationRecord): IntegrationRecord {
    if (!INTEGRATION_TYPES.has(integration.IntegrationType))
      throw apigwErrors.badRequest(`IntegrationType must be one of AWS, AWS_PROXY, HTTP, HTTP_PROXY, MOCK.`);
    if (integration.IntegrationType !== "MOCK" && !integration.IntegrationUri)
      throw apigwErrors.badRequest(`IntegrationUri is required for ${integration.IntegrationType} integrations.`);
    if (integration.PassthroughBehavior !== undefined && !PASSTHROUGH.has(integration.PassthroughBehavior))
      throw apigwErrors.badRequest("PassthroughBehavior must be WHEN_NO_MATCH, NEVER or WHEN_NO_TEMPLATES.");
    const timeout = integration.TimeoutInMillis;
    if (timeout !== undefined && (timeout < LIMITS.integrationTimeoutMs.min || timeout > LIMITS.integrationTimeoutMs.max)) {
      throw apigwErrors.badRequest(`TimeoutInMillis must be between ${LIMITS.integrationTimeoutMs.min} and ${LIMITS.integrationTimeoutMs.max}.`);
    }
    if (
      integration.IntegrationType === "AWS" &&
      integration.IntegrationUri !== undefined &&
      !/^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:[a-z0-9-]+:(path|action)\/.+$/.test(integration.IntegrationUri)
    ) {
      throw apigwErrors.badRequest(`AWS ARN for integration must contain path or action: ${integration.IntegrationUri}`);
    }
    return integration;
  }

  private liveConfiguration(state: ApiState): ApiConfiguration {
    return {
      routes: [...state.routes.values()],
      integrations: [...state.integrations.values()],
      routeResponses: [...state.routeResponses.values()],
      integrationResponses: [...state.integrationResponses.values()],
    };
  }

  private snapshot(state: ApiState, autoDeployed: boolean, description?: string): DeploymentRecord {
    const deployment: DeploymentRecord = defined({
      DeploymentId: this.newId((id) => state.deployments.has(id), 6),
      Description: description,
      CreatedDate: new Date(this.ctx.clock.now()).toISOString(),
      DeploymentStatus: "DEPLOYED" as const,
      AutoDeployed: autoDeployed,
      configuration: structuredClone(this.liveConfiguration(state)),
    });
    state.deployments.set(deployment.DeploymentId, deployment);
    this.store.put(state.api.ApiId, "deployment", deployment.DeploymentId, deployment);
    return deployment;
  }

  /** AutoDeploy stages get a new deployment with every change, as API Gateway makes one. */
  private autoDeploy(state: ApiState, stage: StageRecord): void {
    const previous = stage.DeploymentId === undefined ? undefined : state.deployments.get(stage.DeploymentId);
    const deployment = this.snapshot(state, true);
    const updated = { ...stage, DeploymentId: deployment.DeploymentId, LastUpdatedDate: deployment.CreatedDate };
    state.stages.set(updated.StageName, updated);
    this.store.put(state.api.ApiId, "stage", updated.StageName, updated);
    // Automatic deployments replace one another; only deployments made on purpose are kept.
    if (previous?.AutoDeployed === true && ![...state.stages.values()].some((other) => other.DeploymentId === previous.DeploymentId)) {
      state.deployments.delete(previous.DeploymentId);
      this.store.delete(state.api.ApiId, "deployment", previous.DeploymentId);
    }
  }

  private changed(state: ApiState): void {
    for (const stage of state.stages.values()) if (stage.AutoDeploy === true) this.autoDeploy(state, stage);
  }

  private newId(taken: (id: string) => boolean, length: number): string {
    for (;;) {
      const id = resourceId(length);
      if (!taken(id)) return id;
    }
  }

  private apiOutput(api: ApiRecord): apigw.CreateApiResponse {
    return { ...dates(api), ApiEndpoint: localApiEndpoint(this.ctx.baseUrl(), api.ApiId), ApiGatewayManaged: false };
  }

  private stageOutput(stage: StageRecord): apigw.CreateStageResponse {
    return { ...dates(stage), ApiGatewayManaged: false } as apigw.CreateStageResponse;
  }

  private deploymentOutput(deployment: DeploymentRecord): apigw.CreateDeploymentResponse {
    return {
      DeploymentId: deployment.DeploymentId,
      Description: deployment.Description,
      CreatedDate: new Date(deployment.CreatedDate),
      DeploymentStatus: "DEPLOYED",
      AutoDeployed: deployment.AutoDeployed,
    };
  }
}

function emptyState(api: ApiRecord): ApiState {
  return {
    api,
    routes: new Map(),
    integrations: new Map(),
    routeResponses: new Map(),
    integrationResponses: new Map(),
    stages: new Map(),
    deployments: new Map(),
  };
}

function withoutRouteId(response: RouteResponseRecord): Omit<RouteResponseRecord, "RouteId"> {
  const { RouteId: _routeId, ...rest } = response;
  return rest;
}

function withoutIntegrationId(response: IntegrationResponseRecord): Omit<IntegrationResponseRecord, "IntegrationId"> {
  const { IntegrationId: _integrationId, ...rest } = response;
  return rest;
}
