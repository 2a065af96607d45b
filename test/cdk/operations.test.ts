import { App, CfnRule, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionAlarmName } from '../../infra/cdk/alarms.js';
import { ALARM_THRESHOLDS, ApiStack, METRIC_NAMESPACE } from '../../infra/cdk/api-stack.js';
import { ANNOUNCED_KEY_EVENTS, DataStack } from '../../infra/cdk/data-stack.js';
import { DASHBOARD_NAME } from '../../infra/cdk/monitoring-stack.js';
import { MISSED_RUN_HOURS } from '../../infra/cdk/rotation-stack.js';
import type { SecretsStacks } from '../../infra/cdk/secrets-app.js';
import { LIVE_ALIAS, type ServiceFunction } from '../../infra/cdk/service-function.js';
import { readSettings } from '../../infra/cdk/settings.js';
import { PUBLIC_ROUTES, ROUTES, routeKey, SERVED_ROUTES } from '../../infra/routes.js';
import {
  ALARM_EMAIL,
  apiStacks,
  CDK_CONTEXT,
  dataProducers,
  describeValue,
  followReference,
  logicalId,
  type Producer,
  REGION,
  referenceTo,
  resourceOf,
  synthesizedApp,
  templateOf,
} from './fixture.js';

/**
 * Alarms and their topic, the dashboard, safe deploys, tracing, log encryption and route limits.
 * `api` is the API stack's own template; `apiTemplates` adds its nested stacks', which hold the
 * endpoint functions with their alarms and deployment groups.
 */
let stacks: SecretsStacks;
let data: Template;
let api: Template;
let apiTemplates: [Stack, Template][];
let rotation: Template;
let monitoring: Template;
let producers: Producer[];

beforeAll(() => {
  ({ stacks } = synthesizedApp());
  [data, api, rotation, monitoring] = [stacks.data, stacks.api, stacks.rotation, stacks.monitoring].map((stack) =>
    Template.fromStack(stack),
  ) as [Template, Template, Template, Template];
  apiTemplates = apiStacks(stacks).map((stack) => [stack, templateOf(stack)]);
  producers = dataProducers(stacks);
});

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[]; UpdatePolicy?: any };
const resources = (template: Template, type: string) =>
  Object.entries(template.findResources(type)) as [string, Resource][];
/** Resources of a type in the API stack and its nested stacks, with the stack each is in. */
const apiResources = (type: string) =>
  apiTemplates.flatMap(([stack, template]) =>
    resources(template, type).map(([id, resource]) => ({ stack, id, resource })),
  );
const apiFunctions = (): ServiceFunction[] => [...stacks.api.endpoints.values(), stacks.api.unmatchedRoute];
const errorsAlarmOf = (fn: ServiceFunction) => fn.node.findChild('ErrorsAlarm') as Alarm;
const alarmById = (template: Template, id: string) => template.findResources('AWS::CloudWatch::Alarm')[id]?.Properties;
/**
 * The service's alarms: 7 for the API as a whole, a throttle and an error alarm per endpoint,
 * an error alarm for the $default route's function, 1 for the table, 2 for rotation and 3 for
 * change events (22 before alarms reached anyone).
 */
const alarmCount = () => 7 + 2 * stacks.api.endpoints.size + 1 + 1 + 2 + 3;

describe('alarm topic', () => {
  it('is encrypted with the operations key, TLS only, and mails the address from the context', () => {
    const [[topicId, topic]] = resources(data, 'AWS::SNS::Topic') as [[string, Resource]];
    expect(topicId).toBe(logicalId(stacks.data.alarmTopic));
    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalId(stacks.data.operationsKey), 'Arn'] });
    data.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: ALARM_EMAIL,
      TopicArn: { Ref: topicId },
    });
    const [[, policy]] = resources(data, 'AWS::SNS::TopicPolicy') as [[string, Resource]];
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(
      statements.map((s: { Sid: string; Effect: string; Principal: unknown }) => [s.Sid, s.Effect, s.Principal]),
    ).toEqual([
      ['AllowPublishThroughSSLOnly', 'Deny', '*'],
      ['AlarmsOfThisAccountPublish', 'Allow', { Service: 'cloudwatch.amazonaws.com' }],
      ['KeyChangeRulePublishes', 'Allow', { Service: 'events.amazonaws.com' }],
    ]);
    expect(statements[2].Condition).toEqual({
      ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(stacks.data.keyChangeRule), 'Arn'] } },
    });
  });

  it('is the alarm and OK action of every alarm in every stack', () => {
    let count = 0;
    const events = templateOf(stacks.events);
    for (const template of [data, ...apiTemplates.map(([, template]) => template), rotation, events, monitoring]) {
      for (const [id, alarm] of resources(template, 'AWS::CloudWatch::Alarm')) {
        count += 1;
        const describe = (actions: unknown[]) => actions.map((action) => describeValue(action, producers));
        expect(describe(alarm.Properties.AlarmActions ?? []), id).toEqual(['alarm topic']);
        expect(describe(alarm.Properties.OKActions ?? []), id).toEqual(['alarm topic']);
      }
    }
    expect(count).toBe(alarmCount());
  });

  it('hears of key policy changes, scheduled deletions and disabling of any of the three keys', () => {
    const rule = data.findResources('AWS::Events::Rule')[logicalId(stacks.data.keyChangeRule)]?.Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.kms'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['kms.amazonaws.com'],
        eventName: ANNOUNCED_KEY_EVENTS,
        resources: {
          ARN: [stacks.data.dataKey, stacks.data.tableKey, stacks.data.operationsKey].map((key) => ({
            'Fn::GetAtt': [logicalId(key), 'Arn'],
          })),
        },
      },
    });
    expect(rule.Targets).toEqual([{ Id: 'Target0', Arn: { Ref: logicalId(stacks.data.alarmTopic) } }]);
  });
});

describe('alarms', () => {
  const alarmsOf = (template: Template) =>
    resources(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);

  it('go off on DynamoDB throttling of the table and its index', () => {
    const alarm = alarmById(data, logicalId(stacks.data.tableThrottlesAlarm));
    const metrics = alarm.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat);
    expect(
      metrics.map((m: { MetricStat: { Metric: { MetricName: string; Dimensions: { Name: string }[] } } }) => [
        m.MetricStat.Metric.MetricName,
        m.MetricStat.Metric.Dimensions.map((d) => d.Name).sort(),
      ]),
    ).toEqual([
      ['ReadThrottleEvents', ['TableName']],
      ['WriteThrottleEvents', ['TableName']],
      ['ReadThrottleEvents', ['GlobalSecondaryIndexName', 'TableName']],
      ['WriteThrottleEvents', ['GlobalSecondaryIndexName', 'TableName']],
    ]);
    expect(alarm.Metrics.find((m: { Expression?: string }) => m.Expression).Expression).toBe(
      'SUM([reads0, writes0, reads1, writes1])',
    );
  });

  it('go off when the functions give up on KMS or DynamoDB throttling, counted from every endpoint log', () => {
    const filters = apiResources('AWS::Logs::MetricFilter').filter(
      ({ resource }) => resource.Properties.MetricTransformations[0].MetricName === 'UpstreamThrottles',
    );
    const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect(
      filters.map(({ stack, resource }) => followReference(stack, resource.Properties.LogGroupName)).sort(byJson),
    ).toEqual([...stacks.api.endpoints.values()].map((fn) => referenceTo(fn.logGroup)).sort(byJson));
    for (const { resource: filter } of filters) {
      expect(filter.Properties.FilterPattern).toBe(
        '{ ($.msg = "request failed") && (($.error = "ThrottlingException") || ($.error = "ProvisionedThroughputExceededException")) }',
      );
      expect(filter.Properties.MetricTransformations).toEqual([
        { MetricNamespace: METRIC_NAMESPACE, MetricName: 'UpstreamThrottles', MetricValue: '1' },
      ]);
    }
    expect(alarmsOf(api)).toContainEqual(
      expect.objectContaining({
        Namespace: METRIC_NAMESPACE,
        MetricName: 'UpstreamThrottles',
        Threshold: ALARM_THRESHOLDS.upstreamThrottles,
      }),
    );
  });

  it('go off on 401 and 429 spikes (from the access log), a high 4xx rate and p99 latency', () => {
    const accessLogs = logicalId(stacks.api.accessLogs);
    const statusFilters = resources(api, 'AWS::Logs::MetricFilter')
      .filter(([, f]) => f.Properties.LogGroupName.Ref === accessLogs)
      .map(([, f]) => [f.Properties.FilterPattern, f.Properties.MetricTransformations[0].MetricName]);
    expect(statusFilters.sort()).toEqual([
      ['{ $.status = "401" }', 'Unauthorized'],
      ['{ $.status = "429" }', 'TooManyRequests'],
    ]);
    const alarms = alarmsOf(api);
    for (const [metric, threshold] of [
      ['Unauthorized', ALARM_THRESHOLDS.unauthorized],
      ['TooManyRequests', ALARM_THRESHOLDS.tooManyRequests],
    ] as const) {
      expect(alarms).toContainEqual(
        expect.objectContaining({ Namespace: METRIC_NAMESPACE, MetricName: metric, Threshold: threshold }),
      );
    }
    expect(alarms).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/ApiGateway',
        MetricName: 'Latency',
        ExtendedStatistic: 'p99',
        Threshold: ALARM_THRESHOLDS.latencyP99Ms,
      }),
    );
    const clientErrorRate = alarms.find((alarm) =>
      alarm.Metrics?.some((m: { Expression?: string }) => m.Expression?.includes('clientErrors')),
    );
    expect(clientErrorRate?.Threshold).toBe(ALARM_THRESHOLDS.clientErrorRatePercent);
    expect(
      clientErrorRate?.Metrics.flatMap((m: { MetricStat?: { Metric: { MetricName: string } } }) =>
        m.MetricStat ? [m.MetricStat.Metric.MetricName] : [],
      ).sort(),
    ).toEqual(['4xx', 'Count']);
  });

  it('go off on errors of each function through its live alias, per minute', () => {
    for (const fn of apiFunctions()) {
      const alarm = resourceOf(errorsAlarmOf(fn)).Properties;
      expect(alarm, fn.node.path).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Period: 60,
        Threshold: 1,
        Dimensions: [
          { Name: 'FunctionName', Value: { Ref: logicalId(fn.function) } },
          { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: logicalId(fn.function) }, `:${LIVE_ALIAS}`]] } },
        ],
      });
    }
  });

  it(`go off when no scheduled rotation run started for ${MISSED_RUN_HOURS} hours`, () => {
    expect(alarmById(rotation, logicalId(stacks.rotation.missedRunAlarm))).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: logicalId(stacks.rotation.scheduleRule) } }],
      Period: 3600,
      EvaluationPeriods: MISSED_RUN_HOURS,
      DatapointsToAlarm: MISSED_RUN_HOURS,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    // The daily schedule plus margin; CloudWatch allows at most 7 days of hourly periods.
    expect(MISSED_RUN_HOURS).toBeGreaterThan(24);
  });
});

describe('dashboard', () => {
  /** The dashboard body with every reference replaced by `<name>` (or `<?>`), parsed. */
  const dashboardBody = () => {
    const [[, dashboard]] = resources(monitoring, 'AWS::CloudWatch::Dashboard') as [[string, Resource]];
    const [, parts] = dashboard.Properties.DashboardBody['Fn::Join'] as [string, unknown[]];
    const text = parts
      .map((part) =>
        typeof part === 'string' ? part : `<${JSON.stringify(part).match(/OutputName":"([^"]+)"/)?.[1] ?? '?'}>`,
      )
      .join('');
    return JSON.parse(text) as { widgets: { type: string; properties: Record<string, any> }[] };
  };

  it('is one dashboard, in a stack of its own that holds nothing else', () => {
    expect(Object.keys(monitoring.toJSON().Resources)).toEqual([logicalId(stacks.monitoring.dashboard)]);
    monitoring.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: DASHBOARD_NAME });
  });

  it('shows the state of every alarm of the service, at most 100 per widget', () => {
    const status = dashboardBody().widgets.filter((widget) => widget.type === 'alarm');
    for (const widget of status) expect(widget.properties.alarms.length).toBeLessThanOrEqual(100);
    const alarms = status.flatMap((widget) => widget.properties.alarms);
    expect(alarms).toHaveLength(alarmCount());
    expect(new Set(alarms).size).toBe(alarmCount());
    // Each function's alarms by their fixed names, not by values read from the API stack.
    for (const fn of apiFunctions()) {
      for (const alarm of fn.node.children.filter((child) => child instanceof Alarm)) {
        const name = resourceOf(alarm).Properties.AlarmName;
        expect(name).toBe(functionAlarmName(fn, alarm.node.id === 'ErrorsAlarm' ? 'Errors' : 'Throttles'));
        expect(alarms).toContain(`arn:aws:cloudwatch:${REGION}:<?>:alarm:${name}`);
      }
    }
  });

  it('graphs the API, every function, the table and rotation', () => {
    const titles = dashboardBody()
      .widgets.filter((widget) => widget.type === 'metric')
      .map((widget) => widget.properties.title);
    expect(titles).toEqual([
      'API requests and errors',
      'API latency (ms)',
      'Function errors (live alias)',
      'Function throttles',
      'Function duration p99 (ms)',
      'Concurrent executions',
      'DynamoDB consumed capacity',
      'Throttling upstream',
      'Rotation runs',
      'Rotation dead letters',
      'API 5xx rate (%)',
    ]);
    const errors = dashboardBody().widgets.find((widget) => widget.properties.title === 'Function errors (live alias)');
    expect(errors?.properties.metrics).toHaveLength(stacks.api.endpoints.size);
  });
});

describe('safe deploys', () => {
  it('invoke every function through a live alias on the version this deployment published', () => {
    for (const [stack, template] of [...apiTemplates, [stacks.rotation, rotation] as const]) {
      const aliases = resources(template, 'AWS::Lambda::Alias');
      const functions = resources(template, 'AWS::Lambda::Function');
      expect(aliases).toHaveLength(functions.length);
      for (const [, alias] of aliases) {
        expect(alias.Properties.Name).toBe(LIVE_ALIAS);
        expect(alias.Properties.FunctionVersion['Fn::GetAtt'][1]).toBe('Version');
      }
      // Nothing may invoke a bare function (its $LATEST). The API's permissions are next to its
      // routes, for aliases in the nested stacks.
      for (const [id, permission] of resources(template, 'AWS::Lambda::Permission')) {
        const target = followReference(stack, permission.Properties.FunctionName);
        const targetStack = [...apiStacks(stacks), stacks.rotation].find((s) => s.node.path === target.stack)!;
        const targetId = (target.value as { Ref: string }).Ref;
        expect(templateOf(targetStack).toJSON().Resources[targetId]?.Type, id).toBe('AWS::Lambda::Alias');
      }
    }
  });

  it('shift each API function by a 10% canary that rolls back on its error alarm or a 5xx alarm', () => {
    const groups = apiResources('AWS::CodeDeploy::DeploymentGroup');
    expect(groups).toHaveLength(apiFunctions().length);
    expect(stacks.api.rollbackAlarms).toHaveLength(2);
    const deployed = stacks.api.deployments.flatMap((deployment) => [...deployment.groups.keys()]);
    expect(deployed.map((fn) => fn.node.path).sort()).toEqual(
      apiFunctions()
        .map((fn) => fn.node.path)
        .sort(),
    );
    const application = referenceTo(stacks.api.deploymentApplication);
    for (const { role, groups } of stacks.api.deployments) {
      for (const [fn, group] of groups) {
        const stack = Stack.of(group);
        const { ApplicationName, AlarmConfiguration, ...properties } = resourceOf(group).Properties;
        expect(properties, fn.node.path).toEqual({
          DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent10Minutes',
          DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' },
          // The CodeDeploy role of the group's own stack.
          ServiceRoleArn: { 'Fn::GetAtt': [logicalId(role), 'Arn'] },
          AutoRollbackConfiguration: {
            Enabled: true,
            Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
          },
        });
        expect(Stack.of(role).node.path).toBe(stack.node.path);
        expect(followReference(stack, ApplicationName)).toEqual(application);
        expect(AlarmConfiguration.Enabled).toBe(true);
        expect(AlarmConfiguration.Alarms.map(({ Name }: { Name: unknown }) => followReference(stack, Name))).toEqual(
          [errorsAlarmOf(fn), ...stacks.api.rollbackAlarms].map((alarm) => referenceTo(alarm)),
        );
        const { ApplicationName: aliasApplication, DeploymentGroupName } = resourceOf(fn.alias).UpdatePolicy
          .CodeDeployLambdaAliasUpdate;
        expect(followReference(stack, aliasApplication)).toEqual(application);
        expect(DeploymentGroupName).toEqual({ Ref: logicalId(group) });
      }
    }
    const rollback = stacks.api.rollbackAlarms.map((alarm) => alarmById(api, logicalId(alarm)));
    expect(rollback.map((alarm) => alarm.MetricName ?? 'rate')).toEqual(['5xx', 'rate']);
  });

  it("give CodeDeploy only its own role per stack: that stack's function aliases and reading alarms, no managed policy", () => {
    const pathOf = (construct: IConstruct) => Stack.of(construct).node.path;
    expect(stacks.api.deployments.map(({ role }) => pathOf(role))).toEqual(apiStacks(stacks).map(pathOf));
    for (const { role: roleConstruct, groups } of stacks.api.deployments) {
      const roleId = logicalId(roleConstruct);
      const role = resourceOf(roleConstruct).Properties;
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'codedeploy.amazonaws.com' } },
      ]);
      // CDK moves statements to managed policies of the role's own once its inline policy grows too large.
      const statements = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']
        .flatMap((type) => resources(templateOf(roleConstruct), type))
        .filter(([, policy]) => policy.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
        .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
      const aliasActions = ['lambda:GetAlias', 'lambda:GetProvisionedConcurrencyConfig', 'lambda:UpdateAlias'];
      const onAliases = statements.filter(
        (statement) => JSON.stringify(statement.Action) === JSON.stringify(aliasActions),
      );
      expect(statements.filter((statement) => !onAliases.includes(statement))).toEqual([
        { Action: 'cloudwatch:DescribeAlarms', Effect: 'Allow', Resource: '*' },
      ]);
      for (const statement of onAliases)
        expect(statement).toEqual({ Action: aliasActions, Effect: 'Allow', Resource: expect.any(Array) });
      const sorted = (values: unknown[]) => values.map((value) => JSON.stringify(value)).sort();
      // Functions of the role's own stack: local references, no values from another stack.
      expect(sorted(onAliases.flatMap((statement) => statement.Resource))).toEqual(
        sorted(
          [...groups.keys()].flatMap((fn) => {
            expect(pathOf(fn)).toBe(pathOf(roleConstruct));
            return [{ 'Fn::GetAtt': [logicalId(fn.function), 'Arn'] }, { Ref: logicalId(fn.alias) }];
          }),
        ),
      );
    }
  });
});

describe('settings that change the API stack', () => {
  /** An API stack built (not synthesized, nothing bundled) from the given context. */
  const apiStack = (context: Record<string, unknown>) => {
    const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
    const settings = readSettings(app.node, {});
    const data = new DataStack(app, 'Data', { keyAdminRoleArns: [], alarmEmails: [] });
    const { table, tableKey, dataKey, operationsKey } = data;
    return new ApiStack(app, 'Api', { routes: ROUTES, settings, table, tableKey, dataKey, operationsKey });
  };

  it('make `cdk deploy` refuse the placeholder issuer unless it is explicitly allowed', () => {
    expect(api.toJSON().Rules).not.toHaveProperty('RefusePlaceholderJwtIssuer');
    expect(apiStack({}).node.tryFindChild('RefusePlaceholderJwtIssuer')).toBeInstanceOf(CfnRule);
    expect(
      apiStack({ allowPlaceholderJwtIssuer: true }).node.tryFindChild('RefusePlaceholderJwtIssuer'),
    ).toBeUndefined();
  });

  it('keep canaries but stop rolling back on alarms with ignoreRollbackAlarms', () => {
    const stack = apiStack({ jwtIssuer: 'https://auth.example.org/', ignoreRollbackAlarms: true });
    const groups = stack.deployments.flatMap((deployment) => [...deployment.groups.values()]);
    expect(groups).toHaveLength(stack.endpoints.size + 1);
    for (const group of groups) {
      const resource = group.node.defaultChild as CfnDeploymentGroup;
      // L1 properties, so in camelCase.
      expect(Stack.of(group).resolve(resource.alarmConfiguration)).toMatchObject({ enabled: false });
      expect(Stack.of(group).resolve(resource.autoRollbackConfiguration)).toEqual({
        enabled: true,
        events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'],
      });
      expect(resource.deploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent10Minutes');
    }
  });
});

describe('functions', () => {
  it('trace with X-Ray and log to groups encrypted with the operations key', () => {
    for (const template of [...apiTemplates.map(([, template]) => template), rotation]) {
      for (const [id, fn] of resources(template, 'AWS::Lambda::Function')) {
        expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      }
      for (const [id, group] of resources(template, 'AWS::Logs::LogGroup')) {
        expect(describeValue(group.Properties.KmsKeyId, producers), id).toBe('operations key');
      }
    }
  });
});

describe('route limits', () => {
  const limited = SERVED_ROUTES.filter((route) => route.limits);

  it('are set on the routes that hand out plaintext (inject, reveal) or tell a guess (compare) — and must be on any new one — and the public ones', () => {
    const plaintextRoutes = ROUTES.filter(
      (route) => (route.method === 'GET' && route.kms.includes('Decrypt')) || route.path.endsWith('/compare'),
    );
    expect([...plaintextRoutes, ...PUBLIC_ROUTES].map(routeKey).sort()).toEqual(limited.map(routeKey).sort());
    expect(limited.map((route) => route.function)).toEqual(
      expect.arrayContaining(['inject-environment-secrets', 'inject-user-secrets', 'reveal-environment-secret']),
    );
  });

  it('throttle those routes on the stage, which is created after them', () => {
    const [[, stage]] = resources(api, 'AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    expect(stage.Properties.RouteSettings).toEqual(
      Object.fromEntries(
        limited.map((route) => [
          routeKey(route),
          { ThrottlingRateLimit: route.limits!.rateLimit, ThrottlingBurstLimit: route.limits!.burstLimit },
        ]),
      ),
    );
    const routeIds = resources(api, 'AWS::ApiGatewayV2::Route')
      .filter(([, route]) => limited.some((entry) => routeKey(entry) === route.Properties.RouteKey))
      .map(([id]) => id);
    expect(routeIds).toHaveLength(limited.length);
    for (const id of routeIds) expect(stage.DependsOn).toContain(id);
    for (const route of limited) {
      expect(route.limits!.rateLimit).toBeLessThanOrEqual(stage.Properties.DefaultRouteSettings.ThrottlingRateLimit);
    }
  });

  it('reserve concurrency for exactly those functions (and the one-at-a-time rotation)', () => {
    for (const route of SERVED_ROUTES) {
      const fn = stacks.api.endpoints.get(route)!;
      const reserved = resourceOf(fn.function).Properties.ReservedConcurrentExecutions;
      expect(reserved, route.function).toBe(route.limits?.reservedConcurrency);
    }
  });
});
