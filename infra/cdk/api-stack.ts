import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
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
import { Alarm, ComparisonOperator, MathExpression, type Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { LambdaApplication, LambdaDeploymentConfig, LambdaDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { FilterPattern, LogGroup, type MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { encodeTemplates } from '../../lib/http/route-match.js';
import { type RouteDefinition, routeKey, UNMATCHED_ROUTE_FUNCTION } from '../routes.js';
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
/**
 * How a new version reaches traffic: 10% of requests for 10 minutes, then all. Ten minutes
 * let the 5-minute 5xx alarms see the canary, not only the per-function error alarm.
 */
export const DEPLOYMENT_CONFIG = LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES;
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
 * its own throttling and reserved concurrency when the entry has `limits`.
 *
 * Each function is invoked through its `live` alias. A deployment publishes a new version and
 * CodeDeploy moves the alias to it by canary; if the function's error alarm or either 5xx
 * alarm goes off meanwhile, the alias goes back and the stack update fails and rolls back.
 */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  readonly endpoints: ReadonlyMap<RouteDefinition, ServiceFunction>;
  /** Answers what no route matches (404, 405) in the family's envelope, as the local gateway does. */
  readonly unmatchedRoute: ServiceFunction;
  readonly deploymentApplication: LambdaApplication;
  /** CodeDeploy's role for all deployment groups: alias updates of these functions, reading alarms. */
  readonly deploymentRole: Role;
  readonly deploymentGroups: ReadonlyMap<ServiceFunction, LambdaDeploymentGroup>;
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
      // Every route requires a valid token; scopes are checked by the handlers that need them.
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

    const endpoints = new Map<RouteDefinition, ServiceFunction>();
    const limitedRoutes: [RouteDefinition, HttpRoute][] = [];
    for (const route of props.routes) {
      const id = constructId(route.function);
      const endpoint = new ServiceFunction(this, id, {
        functionDir: route.function,
        description: `${route.method} ${route.path}`,
        statements: routeGrants(route, targets),
        environment,
        timeout: ENDPOINT_TIMEOUT,
        memorySize: ENDPOINT_MEMORY_MB,
        reservedConcurrency: route.limits?.reservedConcurrency,
        logKey: props.operationsKey,
      });
      const [httpRoute] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${id}Integration`, endpoint.alias),
      });
      if (route.limits && httpRoute) limitedRoutes.push([route, httpRoute]);
      endpoints.set(route, endpoint);
    }
    this.endpoints = endpoints;
    this.limitRoutes(limitedRoutes);

    this.unmatchedRoute = new ServiceFunction(this, constructId(UNMATCHED_ROUTE_FUNCTION), {
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
        'The $default route only answers 404/405 for paths no route has; it reads no data, and every real route keeps the JWT authorizer.',
    });

    this.logMetrics = this.addLogMetrics();
    this.rollbackAlarms = this.addAlarms();

    this.deploymentApplication = new LambdaApplication(this, 'Deployments');
    this.deploymentRole = new Role(this, 'DeploymentRole', {
      assumedBy: new ServicePrincipal('codedeploy.amazonaws.com'),
      description: 'CodeDeploy: shifts the live aliases of the secrets API functions',
    });
    const groups = new Map<ServiceFunction, LambdaDeploymentGroup>();
    for (const fn of [...endpoints.values(), this.unmatchedRoute]) {
      groups.set(fn, this.canaryDeployment(fn, settings.ignoreRollbackAlarms));
    }
    this.deploymentGroups = groups;
    this.addDeploymentRolePolicy([...groups.keys()]);

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
    const endpoints = [...this.endpoints.values()];
    const throttleFilters = endpoints.map((endpoint) =>
      endpoint.logGroup.addMetricFilter('UpstreamThrottles', {
        filterPattern: UPSTREAM_THROTTLE_PATTERN,
        metricNamespace: METRIC_NAMESPACE,
        metricName: 'UpstreamThrottles',
        metricValue: '1',
      }),
    );
    return {
      unauthorized: statusCount('Unauthorized', '401'),
      tooManyRequests: statusCount('TooManyRequests', '429'),
      // Every function's filter writes the same metric, so it is their sum.
      upstreamThrottles: count(throttleFilters[0]!),
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

  /**
   * The function's own error alarm (crashes, timeouts, init failures through its alias, per
   * minute, so a broken canary is caught within its first minutes) and its deployment group.
   */
  private canaryDeployment(fn: ServiceFunction, ignoreAlarms: boolean): LambdaDeploymentGroup {
    const errors = new Alarm(fn, 'ErrorsAlarm', {
      alarmDescription: `${fn.function.node.path}: invocations through the live alias failed (crash, timeout or init error)`,
      metric: fn.alias.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return new LambdaDeploymentGroup(fn, 'Deployment', {
      application: this.deploymentApplication,
      alias: fn.alias,
      deploymentConfig: DEPLOYMENT_CONFIG,
      alarms: [errors, ...this.rollbackAlarms],
      ignoreAlarmConfiguration: ignoreAlarms,
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: !ignoreAlarms },
      // The role's permissions are the inline policy below; without this the group would attach
      // AWSCodeDeployRoleForLambdaLimited, which may update any alias in the account.
      role: this.deploymentRole.withoutPolicyUpdates(),
    });
  }

  private addDeploymentRolePolicy(functions: readonly ServiceFunction[]): void {
    this.deploymentRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
        resources: functions.flatMap((fn) => [fn.function.functionArn, fn.alias.functionArn]),
      }),
    );
    this.deploymentRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }),
    );
    Validations.of(this.deploymentRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CodeDeploy reads the rollback alarms with cloudwatch:DescribeAlarms, as in AWSCodeDeployRoleForLambdaLimited; it returns alarm configuration only, and a scope CodeDeploy does not expect would stop every deployment.',
    });
  }
}

/** `create-user-secret` → `CreateUserSecret`. */
function constructId(functionDir: string): string {
  return functionDir
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
