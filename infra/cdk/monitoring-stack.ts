import { Duration, Stack, type StackProps, Token } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  type CfnAlarm,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { ApiStack } from './api-stack.js';
import type { DataStack } from './data-stack.js';
import type { RotationStack } from './rotation-stack.js';

export interface MonitoringStackProps extends StackProps {
  data: DataStack;
  api: ApiStack;
  rotation: RotationStack;
  /** Every alarm of the service, shown by state at the top. */
  alarms: readonly Alarm[];
}

/** One deployment per account and region (the rotation bus has a fixed name too), so a fixed name. */
export const DASHBOARD_NAME = 'secrets-service';
const PERIOD = Duration.minutes(5);
const WIDE = 12;
const HEIGHT = 6;
/** CloudWatch shows at most 100 alarms in one alarm status widget. */
const ALARMS_PER_WIDGET = 100;

/**
 * The service's one CloudWatch dashboard. A stack of its own because it reads every other
 * stack (API, functions, table, rotation) while the alarms it shows must exist before it: in
 * the API or rotation stack it would make one depend on the other. It holds nothing else, so
 * it can be replaced or removed freely.
 */
export class MonitoringStack extends Stack {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { api, data, rotation } = props;
    const endpoints = [...api.endpoints].map(([route, fn]) => ({ label: `${route.method} ${route.path}`, fn }));
    const perFunction = (metric: (fn: (typeof endpoints)[number]['fn']) => Metric): IMetric[] =>
      endpoints.map(({ label, fn }) => metric(fn).with({ label }));
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = WIDE) =>
      new GraphWidget({ title, left, right, width, height: HEIGHT });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: DASHBOARD_NAME,
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          new TextWidget({
            markdown:
              '# Secrets service\nAlarms notify the alarm topic (ALARM and OK). Runbook: docs/deployment.md, "Operations".',
            width: 24,
            height: 2,
          }),
        ],
        ...this.alarmStatusRows(props.alarms),
        [
          graph(
            'API requests and errors',
            [api.stage.metricCount({ period: PERIOD, statistic: 'Sum', label: 'requests' })],
            [
              api.stage.metricClientError({ period: PERIOD, statistic: 'Sum', label: '4xx' }),
              api.stage.metricServerError({ period: PERIOD, statistic: 'Sum', label: '5xx' }),
              api.logMetrics.unauthorized.with({ label: '401' }),
              api.logMetrics.tooManyRequests.with({ label: '429' }),
            ],
          ),
          graph(
            'API latency (ms)',
            ['p50', 'p90', 'p99'].map((statistic) =>
              api.stage.metricLatency({ period: PERIOD, statistic, label: `latency ${statistic}` }),
            ),
            [api.stage.metricIntegrationLatency({ period: PERIOD, statistic: 'p99', label: 'integration p99' })],
          ),
        ],
        [
          graph(
            'Function errors (live alias)',
            perFunction((fn) => fn.alias.metricErrors({ period: PERIOD, statistic: 'Sum' })),
          ),
          graph(
            'Function throttles',
            perFunction((fn) => fn.function.metricThrottles({ period: PERIOD, statistic: 'Sum' })),
          ),
        ],
        [
          graph(
            'Function duration p99 (ms)',
            perFunction((fn) => fn.function.metricDuration({ period: PERIOD, statistic: 'p99' })),
          ),
          graph(
            'Concurrent executions',
            perFunction((fn) => fn.function.metric('ConcurrentExecutions', { period: PERIOD, statistic: 'Maximum' })),
          ),
        ],
        [
          graph(
            'DynamoDB consumed capacity',
            ['ConsumedReadCapacityUnits', 'ConsumedWriteCapacityUnits'].map(
              (metricName) =>
                new Metric({
                  namespace: 'AWS/DynamoDB',
                  metricName,
                  dimensionsMap: { TableName: data.table.tableName },
                  statistic: 'Sum',
                  period: PERIOD,
                }),
            ),
          ),
          graph('Throttling upstream', [
            data.tableThrottleEvents(),
            api.logMetrics.upstreamThrottles.with({ label: 'KMS/DynamoDB throttles the functions gave up on' }),
          ]),
        ],
        [
          graph(
            'Rotation runs',
            [
              rotation.rotation.alias.metricInvocations({ period: Duration.hours(1), statistic: 'Sum' }),
              rotation.rotation.alias.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
              new Metric({
                namespace: 'AWS/Events',
                metricName: 'Invocations',
                dimensionsMap: { RuleName: rotation.scheduleRule.ruleName },
                statistic: 'Sum',
                period: Duration.hours(1),
                label: 'scheduled runs',
              }),
            ],
            [rotation.rotation.function.metricDuration({ period: Duration.hours(1), statistic: 'Maximum' })],
            8,
          ),
          graph(
            'Rotation dead letters',
            [
              rotation.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                period: PERIOD,
                statistic: 'Maximum',
              }),
            ],
            [],
            8,
          ),
          graph(
            'API 5xx rate (%)',
            [
              new MathExpression({
                expression: '100 * errors / requests',
                usingMetrics: {
                  errors: api.stage.metricServerError({ period: PERIOD, statistic: 'Sum' }),
                  requests: api.stage.metricCount({ period: PERIOD, statistic: 'Sum' }),
                },
                label: '5xx rate (%)',
                period: PERIOD,
              }),
            ],
            [],
            8,
          ),
        ],
      ],
    });
  }

  /**
   * The state of every alarm, in rows of one widget each. An alarm with a fixed name
   * (alarms.ts, functionAlarmName) is shown by that name, so its stack need not pass it here.
   */
  private alarmStatusRows(alarms: readonly Alarm[]): AlarmStatusWidget[][] {
    const shown: IAlarm[] = alarms.map((alarm, index) => {
      const { alarmName } = alarm.node.defaultChild as CfnAlarm;
      return alarmName && !Token.isUnresolved(alarmName)
        ? Alarm.fromAlarmName(this, `Alarm${index}`, alarmName)
        : alarm;
    });
    const rows: AlarmStatusWidget[][] = [];
    for (let start = 0; start < shown.length; start += ALARMS_PER_WIDGET) {
      const part = shown.slice(start, start + ALARMS_PER_WIDGET);
      rows.push([new AlarmStatusWidget({ title: 'Alarms', alarms: part, width: 24, height: 6 })]);
    }
    return rows;
  }
}
