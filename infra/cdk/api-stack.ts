import {
  Annotations,
  CfnOutput,
  Duration,
  NestedStack,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
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
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { LambdaApplication } from 'aws-cdk-lib/aws-codedeploy';
import { FilterPattern, LogGroup, type MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { encodeTemplates } from '../../lib/http/route-match.js';
import { type RouteDefinition, routeKey, UNMATCHED_ROUTE_FUNCTION } from '../routes.js';
import { functionAlarmName } from './alarms.js';
import { type CanaryDeployments, deployByCanary } from './canary.js';
import { endpointGroupOf, endpointId, pascalCase } from './endpoint-groups.js';
import { routeGrants } from './grants.js';
import { grantTargets, type ServiceData, ServiceFunction, serviceEnvironment } from './service-function.js';
import {
  PLACEHOLDER_JWT_AUDIENCE,
  PLACEHOLDER_JWT_ISSUER,
  refusePlaceholderIssuer,
  type ServiceSettings,
} from './settings.js';

export interface ApiStackProps extends StackProps, ServiceData {
  routes: readonly RouteDefinition[];
  settings: ServiceSettings;
}

/** Stage-wide limits; API Gateway answers 429 above them before any function runs. Routes may have lower ones (RouteLimits). */
const THROTTLE = { rateLimit: 100, burstLimit: 200 };
const ALARM_PERIOD = Duration.minutes(5);
/**
 * Room for a few upstream calls with retries, each bounded by UPSTREAM_TIMEOUT_MS, while
 * staying under the HTTP API's 30 s integration timeout.
 */
const ENDPOINT_TIMEOUT = Duration.seconds(15);
const ENDPOINT_MEMORY_MB = 512;
/** Namespace of the metrics the stack derives from logs (access log statuses, upstream throttles). */
export const METRIC_NAMESPACE = 'SecretsService';

/** Thresholds of the alarms without an obvious one; tune them to the traffic the service sees. */
export const ALARM_THRESHOLDS = {
  /** 4xx share of requests (%), over 2 of 3 periods, once there are at least 100 requests a period. */
  clientErrorRatePercent: 30,
  /** 401 answers per period: a client with a broken token, or someone trying tokens. */
  unauthorized: 100,
  /** 429 answers per period: callers above the stage or route limits, or upstream throttling. */
  tooManyRequests: 50,
  /** p99 latency (ms) in 3 consecutive periods. */
  latencyP99Ms: 3000,
  /** Requests the functions gave up on because KMS or DynamoDB throttled them, per period. */
  upstreamThrottles: 5,
};

/** Errors (`request failed`) the functions log when KMS or DynamoDB throttled them past the SDK's retries. */
const UPSTREAM_THROTTLE_PATTERN = FilterPattern.all(
  FilterPattern.stringValue('$.msg', '=', 'request failed'),
  FilterPattern.any(
    FilterPattern.stringValue('$.error', '=', 'ThrottlingException'),
    FilterPattern.stringValue('$.error', '=', 'ProvisionedThroughputExceededException'),
  ),
);

/**
 * One JSON object per request: ids, route, status, timings, source IP and the caller's `sub`
 * (`-` where no token was validated) — never headers, tokens or bodies.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    sourceIp: '$context.identity.sourceIp',
    sub: '$context.authorizer.claims.sub',
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
 * Routes come only from the route table, so a new entry appears here without edits — with
 * its own throttling and reserved concurrency when the entry has `limits`, and without the
 * JWT authorizer when its function checks a service token itself or serves the public
 * documentation (`auth: 'none'`, no grants and no table settings).
 *
 * The endpoint functions, with their alarms and deployment groups, live in nested stacks, one
 * per group of routes (endpoint-groups.ts), so the route table can grow past what one
 * template holds. This stack keeps the API, its stage, the routes and their integrations, the
 * `$default` route's function and the API-wide alarms.
 *
 * Each function is invoked through its `live` alias. A deployment publishes a new version and
 * CodeDeploy moves the alias to it by canary; if the function's error alarm or either 5xx
 * alarm goes off meanwhile, the alias goes back and the stack update fails and rolls back.
 */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /** The nested stacks holding the endpoint functions, by group id (endpoint-groups.ts). */
  readonly endpointStacks: ReadonlyMap<string, NestedStack>;
  readonly endpoints: ReadonlyMap<RouteDefinition, ServiceFunction>;
  /** Answers what no route matches (404, 405) in the family's envelope, as the local gateway does. */
  readonly unmatchedRoute: ServiceFunction;
  readonly deploymentApplication: LambdaApplication;
  /** One per stack holding functions: this one (the `$default` route's) and each nested stack. */
  readonly deployments: readonly CanaryDeployments[];
  /** The alarms a deployment rolls back on, besides the function's own error alarm. */
  readonly rollbackAlarms: readonly Alarm[];
  /** Metrics derived from logs, for alarms and the dashboard. */
  readonly logMetrics: { unauthorized: Metric; tooManyRequests: Metric; upstreamThrottles: Metric };

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { settings } = props;
    if (settings.jwtIssuer === PLACEHOLDER_JWT_ISSUER || settings.jwtAudience === PLACEHOLDER_JWT_AUDIENCE) {
      Annotations.of(this).addWarningV2(
        'secrets:placeholder-jwt',
        'JWT issuer or audience is a placeholder; pass -c jwtIssuer=… -c jwtAudience=… before deploying (a deployment with the placeholder issuer is refused).',
      );
    }
    refusePlaceholderIssuer(this, settings);

    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Secrets service',
      // Every route requires a valid token (service-token routes opt out, below); scopes are
      // checked by the handlers that need them.
      defaultAuthorizer: new HttpJwtAuthorizer('JwtAuthorizer', settings.jwtIssuer, {
        jwtAudience: [settings.jwtAudience],
        identitySource: ['$request.header.Authorization'],
      }),
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.THREE_MONTHS,
      encryptionKey: props.operationsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const environment: Record<string, string> = {
      ...serviceEnvironment(props),
      AUDIT_RETENTION_DAYS: '90',
      ...(settings.minClientVersion ? { MIN_CLIENT_VERSION: settings.minClientVersion } : {}),
    };
    const targets = grantTargets(this, props);

    const endpointStacks = new Map<string, NestedStack>();
    const endpoints = new Map<RouteDefinition, ServiceFunction>();
    const limitedRoutes: [RouteDefinition, HttpRoute][] = [];
    for (const route of props.routes) {
      const group = endpointGroupOf(route);
      const endpointStack = endpointStacks.get(group) ?? new NestedStack(this, group);
      endpointStacks.set(group, endpointStack);
      const id = endpointId(route);
      const open = route.auth === 'none';
      const endpoint = new ServiceFunction(endpointStack, id, {
        functionDir: route.function,
        description: `${route.method} ${route.path}`,
        statements: routeGrants(route, targets),
        // A public function serves its own files: it is told nothing about the table or the keys.
        environment: open ? {} : environment,
        bundleFiles: route.bundleFiles,
        timeout: ENDPOINT_TIMEOUT,
        memorySize: ENDPOINT_MEMORY_MB,
        reservedConcurrency: route.limits?.reservedConcurrency,
        logKey: props.operationsKey,
      });
      // The route, its integration and the permission to invoke stay in this stack (3 resources
      // per route): a route moved to another stack would be created before the old one is
      // deleted, and API Gateway refuses two routes with the same key.
      const serviceToken = route.auth === 'service-token';
      // One method, so one route. A service-token or public route must not meet the JWT authorizer.
      const httpRoute = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${id}Integration`, endpoint.alias),
        ...(serviceToken || open ? { authorizer: new HttpNoneAuthorizer() } : {}),
      })[0]!;
      if (serviceToken) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'A service-token route has no JWT authorizer: its function verifies the service token on every call, with no authorizer cache in front, so a revoked token is refused at once.',
        });
      }
      if (open) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'A public route serves the API documentation (the OpenAPI document, the page rendering it): its function has no grants and reads no data; it is throttled and capped by its own limits.',
        });
      }
      if (route.limits) limitedRoutes.push([route, httpRoute]);
      endpoints.set(route, endpoint);
    }
    this.endpointStacks = endpointStacks;
    this.endpoints = endpoints;
    this.limitRoutes(limitedRoutes);

    this.unmatchedRoute = new ServiceFunction(this, pascalCase(UNMATCHED_ROUTE_FUNCTION), {
      functionDir: UNMATCHED_ROUTE_FUNCTION,
      description: 'paths and methods no route has (404, 405)',
      statements: [],
      environment: { ROUTE_TEMPLATES: encodeTemplates(props.routes) },
      timeout: Duration.seconds(3),
      memorySize: 256,
      logKey: props.operationsKey,
    });
    const unmatched = new HttpRoute(this, 'UnmatchedRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('UnmatchedRouteIntegration', this.unmatchedRoute.alias),
      // It reads nothing and names only published routes; a token would only turn its 404 into a 401.
      authorizer: new HttpNoneAuthorizer(),
    });
    Validations.of(unmatched).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'The $default route only answers 404/405 for paths no route has; it reads no data, and every route of the API is authenticated (the JWT authorizer, or a service token its function verifies).',
    });

    this.logMetrics = this.addLogMetrics();
    this.rollbackAlarms = this.addAlarms();

    this.deploymentApplication = new LambdaApplication(this, 'Deployments');
    const canary = {
      application: this.deploymentApplication,
      rollbackAlarms: this.rollbackAlarms,
      ignoreRollbackAlarms: settings.ignoreRollbackAlarms,
    };
    const functionsOf = (stack: Stack) => [...endpoints.values()].filter((fn) => Stack.of(fn) === stack);
    this.deployments = [
      deployByCanary(this, [this.unmatchedRoute], canary),
      ...[...endpointStacks.values()].map((stack) => deployByCanary(stack, functionsOf(stack), canary)),
    ];

    new CfnOutput(this, 'ApiUrl', { value: this.stage.url, description: 'Base URL of the secrets API' });
  }

  /**
   * Per-route throttling on the stage (HTTP API route settings, keyed by route key). The stage
   * must be created after those routes, or API Gateway refuses the settings.
   */
  private limitRoutes(limited: readonly [RouteDefinition, HttpRoute][]): void {
    if (limited.length === 0) return;
    const stage = this.stage.node.defaultChild as CfnStage;
    stage.routeSettings = Object.fromEntries(
      limited.map(([route]) => [
        routeKey(route),
        { ThrottlingRateLimit: route.limits!.rateLimit, ThrottlingBurstLimit: route.limits!.burstLimit },
      ]),
    );
    for (const [, httpRoute] of limited) this.stage.node.addDependency(httpRoute);
  }

  /** Counts from the access log (401, 429) and from the functions' own logs (upstream throttles). */
  private addLogMetrics(): ApiStack['logMetrics'] {
    const count = (filter: MetricFilter) => filter.metric({ statistic: 'Sum', period: ALARM_PERIOD });
    const statusCount = (id: string, status: string) =>
      count(
        this.accessLogs.addMetricFilter(id, {
          filterPattern: FilterPattern.stringValue('$.status', '=', status),
          metricNamespace: METRIC_NAMESPACE,
          metricName: id,
          metricValue: '1',
        }),
      );
    for (const endpoint of this.endpoints.values()) {
      endpoint.logGroup.addMetricFilter('UpstreamThrottles', {
        filterPattern: UPSTREAM_THROTTLE_PATTERN,
        metricNamespace: METRIC_NAMESPACE,
        metricName: 'UpstreamThrottles',
        metricValue: '1',
      });
    }
    return {
      unauthorized: statusCount('Unauthorized', '401'),
      tooManyRequests: statusCount('TooManyRequests', '429'),
      // Every function's filter writes this one metric, so it is their sum.
      upstreamThrottles: new Metric({
        namespace: METRIC_NAMESPACE,
        metricName: 'UpstreamThrottles',
        statistic: 'Sum',
        period: ALARM_PERIOD,
      }),
    };
  }

  /** Returns the alarms every canary deployment rolls back on (the 5xx ones). */
  private addAlarms(): Alarm[] {
    const greaterOrEqual = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const serverErrors = this.stage.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' });
    const requests = this.stage.metricCount({ period: ALARM_PERIOD, statistic: 'Sum' });
    const serverErrorsAlarm = new Alarm(this, 'ServerErrorsAlarm', {
      alarmDescription: 'The API answered 5xx responses',
      metric: serverErrors,
      threshold: 5,
      evaluationPeriods: 1,
      comparisonOperator: greaterOrEqual,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const serverErrorRateAlarm = new Alarm(this, 'ServerErrorRateAlarm', {
      alarmDescription: 'More than 5% of API requests answered 5xx',
      metric: new MathExpression({
        expression: '100 * errors / requests',
        usingMetrics: { errors: serverErrors, requests },
        label: '5xx rate (%)',
        period: ALARM_PERIOD,
      }),
      threshold: 5,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    new Alarm(this, 'ClientErrorRateAlarm', {
      alarmDescription: `More than ${ALARM_THRESHOLDS.clientErrorRatePercent}% of API requests answered 4xx (at 100 requests or more per 5 minutes)`,
      metric: new MathExpression({
        expression: 'IF(requests >= 100, 100 * clientErrors / requests, 0)',
        usingMetrics: {
          clientErrors: this.stage.metricClientError({ period: ALARM_PERIOD, statistic: 'Sum' }),
          requests,
        },
        label: '4xx rate (%)',
        period: ALARM_PERIOD,
      }),
      threshold: ALARM_THRESHOLDS.clientErrorRatePercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    new Alarm(this, 'UnauthorizedAlarm', {
      alarmDescription: 'A spike of 401 answers: tokens rejected by the JWT authorizer or the functions',
      metric: this.logMetrics.unauthorized,
      threshold: ALARM_THRESHOLDS.unauthorized,
      evaluationPeriods: 1,
      comparisonOperator: greaterOrEqual,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    new Alarm(this, 'TooManyRequestsAlarm', {
      alarmDescription: 'A spike of 429 answers: callers above the stage or route limits, or KMS/DynamoDB throttling',
      metric: this.logMetrics.tooManyRequests,
      threshold: ALARM_THRESHOLDS.tooManyRequests,
      evaluationPeriods: 1,
      comparisonOperator: greaterOrEqual,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    new Alarm(this, 'LatencyAlarm', {
      alarmDescription: `API p99 latency at or above ${ALARM_THRESHOLDS.latencyP99Ms} ms for 15 minutes`,
      metric: this.stage.metricLatency({ period: ALARM_PERIOD, statistic: 'p99' }),
      threshold: ALARM_THRESHOLDS.latencyP99Ms,
      evaluationPeriods: 3,
      comparisonOperator: greaterOrEqual,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    new Alarm(this, 'UpstreamThrottlesAlarm', {
      alarmDescription:
        'KMS or DynamoDB throttled requests past the SDK retries; the functions answered 429 (KMS publishes no throttle metric of its own)',
      metric: this.logMetrics.upstreamThrottles,
      threshold: ALARM_THRESHOLDS.upstreamThrottles,
      evaluationPeriods: 1,
      comparisonOperator: greaterOrEqual,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // HTTP APIs report stage throttling only inside 4xx; Lambda throttles are the capacity signal
    // (and, for a route with reserved concurrency, the sign that its cap was reached).
    for (const [route, endpoint] of this.endpoints) {
      new Alarm(endpoint, 'ThrottlesAlarm', {
        alarmName: functionAlarmName(endpoint, 'Throttles'),
        alarmDescription: `Lambda throttled ${route.method} ${route.path}`,
        metric: endpoint.function.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: greaterOrEqual,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
    return [serverErrorsAlarm, serverErrorRateAlarm];
  }
}
