/**
 * The records of API Gateway v2's WebSocket model, stored as API Gateway returns them (minus
 * Date objects, which are ISO strings at rest).
 * https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/resources.html
 */
export interface ApiRecord {
  ApiId: string;
  Name: string;
  ProtocolType: "WEBSOCKET";
  RouteSelectionExpression: string;
  ApiKeySelectionExpression?: string;
  Description?: string;
  DisableExecuteApiEndpoint?: boolean;
  DisableSchemaValidation?: boolean;
  Version?: string;
  Tags?: Record<string, string>;
  CreatedDate: string;
}

export interface RouteRecord {
  RouteId: string;
  RouteKey: string;
  Target?: string;
  AuthorizationType?: string;
  AuthorizerId?: string;
  ApiKeyRequired?: boolean;
  OperationName?: string;
  ModelSelectionExpression?: string;
  RouteResponseSelectionExpression?: string;
  RequestModels?: Record<string, string>;
  RequestParameters?: Record<string, { Required?: boolean }>;
}

export type IntegrationType = "AWS" | "AWS_PROXY" | "HTTP" | "HTTP_PROXY" | "MOCK";

export interface IntegrationRecord {
  IntegrationId: string;
  IntegrationType: IntegrationType;
  IntegrationUri?: string;
  IntegrationMethod?: string;
  IntegrationSubtype?: string;
  ConnectionType?: string;
  ConnectionId?: string;
  CredentialsArn?: string;
  Description?: string;
  PassthroughBehavior?: "WHEN_NO_MATCH" | "NEVER" | "WHEN_NO_TEMPLATES";
  PayloadFormatVersion?: string;
  RequestParameters?: Record<string, string>;
  RequestTemplates?: Record<string, string>;
  TemplateSelectionExpression?: string;
  ContentHandlingStrategy?: string;
  TimeoutInMillis?: number;
}

export interface RouteResponseRecord {
  RouteId: string;
  RouteResponseId: string;
  RouteResponseKey: string;
  ModelSelectionExpression?: string;
  ResponseModels?: Record<string, string>;
  ResponseParameters?: Record<string, { Required?: boolean }>;
}

export interface IntegrationResponseRecord {
  IntegrationId: string;
  IntegrationResponseId: string;
  IntegrationResponseKey: string;
  ResponseTemplates?: Record<string, string>;
  TemplateSelectionExpression?: string;
  ContentHandlingStrategy?: string;
  ResponseParameters?: Record<string, string>;
}

export interface RouteSettingsRecord {
  ThrottlingRateLimit?: number;
  ThrottlingBurstLimit?: number;
  DataTraceEnabled?: boolean;
  DetailedMetricsEnabled?: boolean;
  LoggingLevel?: string;
}

export interface StageRecord {
  StageName: string;
  DeploymentId?: string;
  AutoDeploy?: boolean;
  Description?: string;
  DefaultRouteSettings?: RouteSettingsRecord;
  RouteSettings?: Record<string, RouteSettingsRecord>;
  StageVariables?: Record<string, string>;
  Tags?: Record<string, string>;
  CreatedDate: string;
  LastUpdatedDate: string;
}

/** What a deployment froze: the routes and integrations a stage without AutoDeploy serves. */
export interface ApiConfiguration {
  routes: RouteRecord[];
  integrations: IntegrationRecord[];
  routeResponses: RouteResponseRecord[];
  integrationResponses: IntegrationResponseRecord[];
}

export interface DeploymentRecord {
  DeploymentId: string;
  Description?: string;
  CreatedDate: string;
  DeploymentStatus: "DEPLOYED";
  AutoDeployed: boolean;
  configuration: ApiConfiguration;
}
