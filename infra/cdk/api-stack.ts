import { Annotations, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { encodeTemplates } from '../../lib/http/route-match.js';
import { type RouteDefinition, UNMATCHED_ROUTE_FUNCTION } from '../routes.js';
import { routeGrants } from './grants.js';
import { grantTargets, type ServiceData, ServiceFunction, serviceEnvironment } from './service-function.js';
import { PLACEHOLDER_JWT_AUDIENCE, PLACEHOLDER_JWT_ISSUER, type ServiceSettings } from './settings.js';

export interface ApiStackProps extends StackProps, ServiceData {
  routes: readonly RouteDefinition[];
  settings: ServiceSettings;
}

/** Stage-wide limits; API Gateway answers 429 above them before any function runs. */
const THROTTLE = { rateLimit: 100, burstLimit: 200 };
const ALARM_PERIOD = Duration.minutes(5);
/**
 * Room for a few upstream calls with retries, each bounded by UPSTREAM_TIMEOUT_MS, while
 * staying under the HTTP API's 30 s integration timeout.
 */
const ENDPOINT_TIMEOUT = Duration.seconds(15);
const ENDPOINT_MEMORY_MB = 512;

/** One JSON object per request: ids, route, status, timings and source IP — never headers, tokens or bodies. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    sourceIp: '$context.identity.sourceIp',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
  }),
);

/**
 * Everything stateless: the HTTP API, its JWT authorizer and one function per route entry.
 * Routes come only from the route table, so a new entry appears here without edits.
 */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly endpoints: ReadonlyMap<RouteDefinition, ServiceFunction>;
  /** Answers what no route matches (404, 405) in the family's envelope, as the local gateway does. */
  readonly unmatchedRoute: ServiceFunction;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { settings } = props;
    if (settings.jwtIssuer === PLACEHOLDER_JWT_ISSUER || settings.jwtAudience === PLACEHOLDER_JWT_AUDIENCE) {
      Annotations.of(this).addWarningV2(
        'secrets:placeholder-jwt',
        'JWT issuer or audience is a placeholder; pass -c jwtIssuer=… -c jwtAudience=… before deploying.',
      );
    }

    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Secrets service',
      // Every route requires a valid token; scopes are checked by the handlers that need them.
      defaultAuthorizer: new HttpJwtAuthorizer('JwtAuthorizer', settings.jwtIssuer, {
        jwtAudience: [settings.jwtAudience],
        identitySource: ['$request.header.Authorization'],
      }),
      createDefaultStage: false,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', { retention: RetentionDays.THREE_MONTHS }),
        ),
        format: ACCESS_LOG_FORMAT,
      },
    });

    const environment: Record<string, string> = {
      ...serviceEnvironment(props),
      AUDIT_RETENTION_DAYS: '90',
      ...(settings.minClientVersion ? { MIN_CLIENT_VERSION: settings.minClientVersion } : {}),
    };
    const targets = grantTargets(this, props);

    const endpoints = new Map<RouteDefinition, ServiceFunction>();
    for (const route of props.routes) {
      const id = constructId(route.function);
      const endpoint = new ServiceFunction(this, id, {
        functionDir: route.function,
        description: `${route.method} ${route.path}`,
        statements: routeGrants(route, targets),
        environment,
        timeout: ENDPOINT_TIMEOUT,
        memorySize: ENDPOINT_MEMORY_MB,
      });
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${id}Integration`, endpoint.function),
      });
      endpoints.set(route, endpoint);
    }
    this.endpoints = endpoints;

    this.unmatchedRoute = new ServiceFunction(this, constructId(UNMATCHED_ROUTE_FUNCTION), {
      functionDir: UNMATCHED_ROUTE_FUNCTION,
      description: 'paths and methods no route has (404, 405)',
      statements: [],
      environment: { ROUTE_TEMPLATES: encodeTemplates(props.routes) },
      timeout: Duration.seconds(3),
      memorySize: 256,
    });
    const unmatched = new HttpRoute(this, 'UnmatchedRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('UnmatchedRouteIntegration', this.unmatchedRoute.function),
      // It reads nothing and names only published routes; a token would only turn its 404 into a 401.
      authorizer: new HttpNoneAuthorizer(),
    });
    Validations.of(unmatched).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'The $default route only answers 404/405 for paths no route has; it reads no data, and every real route keeps the JWT authorizer.',
    });

    this.addAlarms();
    new CfnOutput(this, 'ApiUrl', { value: this.stage.url, description: 'Base URL of the secrets API' });
  }

  private addAlarms(): void {
    const serverErrors = this.stage.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' });
    new Alarm(this, 'ServerErrorsAlarm', {
      alarmDescription: 'The API answered 5xx responses',
      metric: serverErrors,
      threshold: 5,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    new Alarm(this, 'ServerErrorRateAlarm', {
      alarmDescription: 'More than 5% of API requests answered 5xx',
      metric: new MathExpression({
        expression: '100 * errors / requests',
        usingMetrics: {
          errors: serverErrors,
          requests: this.stage.metricCount({ period: ALARM_PERIOD, statistic: 'Sum' }),
        },
        label: '5xx rate (%)',
        period: ALARM_PERIOD,
      }),
      threshold: 5,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // HTTP APIs report stage throttling only inside 4xx; Lambda throttles are the capacity signal.
    for (const [route, endpoint] of this.endpoints) {
      new Alarm(endpoint, 'ThrottlesAlarm', {
        alarmDescription: `Lambda throttled ${route.method} ${route.path}`,
        metric: endpoint.function.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
  }
}

/** `create-user-secret` → `CreateUserSecret`. */
function constructId(functionDir: string): string {
  return functionDir
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
