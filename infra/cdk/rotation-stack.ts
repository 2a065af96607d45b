import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, Match, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IDestination } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../lib/rotation/events.js';
import { deadLetterAlarm, retainedDeadLetterQueue } from './dead-letter-queue.js';
import { rotationGrants } from './grants.js';
import { grantTargets, type ServiceData, ServiceFunction, serviceEnvironment } from './service-function.js';

export interface RotationStackProps extends StackProps, ServiceData {
  /** Earlier KMS keys data keys may still be wrapped under (settings.ts, `rotationSourceKeyArns`). */
  sourceKeyArns?: readonly string[];
}

export const ROTATION_BUS_NAME = 'secrets-rotation';
/** The custom events that start a rotation; the function's own events have other detail-types. */
export const ROTATION_TRIGGERS = ['RotateTenantKey', 'RotateAll'] as const;

/** How often EventBridge retries delivering an event to the function before it goes to the DLQ. */
const DELIVERY = { retryAttempts: 8, maxEventAge: Duration.hours(2) };
/** How often Lambda retries a failed asynchronous invocation before it goes to the DLQ. */
const FUNCTION_RETRIES = 2;
/** Hours without a scheduled run before the missed-run alarm goes off (the schedule is daily). */
export const MISSED_RUN_HOURS = 26;

/**
 * Event-driven key rotation (the table and keys come from the data stack): the rotation bus,
 * the rules that trigger the function (through its `live` alias), the function itself, one
 * dead-letter queue (retained), with an alarm, for every event that could not be delivered or
 * whose run failed, and an alarm for a daily run that never started.
 */
export class RotationStack extends Stack {
  readonly bus: EventBus;
  readonly rotation: ServiceFunction;
  /** Custom events on the rotation bus: `RotateTenantKey`, `RotateAll`. */
  readonly triggerRule: Rule;
  /** Daily, on the default bus: resumes interrupted rotations, rotates old keys, announces old secrets. */
  readonly scheduleRule: Rule;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;
  /** No scheduled run was started for more than a day (the rule or its delivery is broken). */
  readonly missedRunAlarm: Alarm;

  constructor(scope: Construct, id: string, props: RotationStackProps) {
    super(scope, id, props);

    this.bus = new EventBus(this, 'Bus', {
      eventBusName: ROTATION_BUS_NAME,
      description: 'Secrets service key rotation: RotateTenantKey / RotateAll in, TenantKeyRotated and others out',
    });

    // Failed rotation events outlive a torn-down stack, to be sent again.
    this.deadLetterQueue = retainedDeadLetterQueue(this, 'the rotation rules and function');

    const sendToDeadLetterQueue = { actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] };
    this.rotation = new ServiceFunction(this, 'RotateTenantKeys', {
      functionDir: 'rotate-tenant-keys',
      description: 'tenant data key rotation (EventBridge)',
      statements: [
        ...rotationGrants({
          ...grantTargets(this, props),
          eventBusArn: this.bus.eventBusArn,
          sourceKeyArns: props.sourceKeyArns,
        }),
        // For the on-failure destination below: Lambda sends failed events with the function's role.
        sendToDeadLetterQueue,
      ],
      environment: {
        ...serviceEnvironment(props),
        EVENT_BUS_NAME: this.bus.eventBusName,
        KEY_MAX_AGE_DAYS: '90',
        SECRET_MAX_AGE_DAYS: '90',
      },
      // A run walks every tenant; it is resumable, so a timeout only defers the rest to the retry.
      timeout: Duration.minutes(15),
      memorySize: 1024,
      // One run at a time: further events wait in Lambda's asynchronous queue instead of racing.
      reservedConcurrency: 1,
      logKey: props.operationsKey,
    });

    // Rules invoke the live alias (the version this deployment published), so the retry and
    // failure settings are the alias's. The alias moves to a new version at once: a canary needs
    // traffic, and a daily run gives it none; a failed run goes to the dead-letter queue and the
    // next run resumes it.
    // Function errors (a run with failed tenants throws) are retried, then land in the same queue.
    // The destination is given as the queue ARN: the send statement above is the only grant,
    // where the stock SqsDestination would also grant GetQueueAttributes and GetQueueUrl.
    const onFailure: IDestination = { bind: () => ({ destination: this.deadLetterQueue.queueArn }) };
    this.rotation.alias.configureAsyncInvoke({
      retryAttempts: FUNCTION_RETRIES,
      maxEventAge: Duration.hours(6),
      onFailure,
    });

    const target = () =>
      new LambdaFunction(this.rotation.alias, { deadLetterQueue: this.deadLetterQueue, ...DELIVERY });
    this.triggerRule = new Rule(this, 'TriggerRule', {
      description: 'RotateTenantKey and RotateAll events start a rotation',
      eventBus: this.bus,
      eventPattern: {
        detailType: [...ROTATION_TRIGGERS],
        // The function publishes to this bus as EVENT_SOURCE; never let its own events start a run.
        source: Match.anythingBut(EVENT_SOURCE),
      },
      targets: [target()],
    });
    this.scheduleRule = new Rule(this, 'ScheduleRule', {
      description:
        'Daily rotation run: resume, rotate keys past KEY_MAX_AGE_DAYS, announce secrets past SECRET_MAX_AGE_DAYS',
      schedule: Schedule.cron({ hour: '3', minute: '0' }),
      targets: [target()],
    });

    this.deadLetterAlarm = deadLetterAlarm(
      this,
      'DeadLetterAlarm',
      this.deadLetterQueue,
      'A rotation event could not be delivered, or its run failed after retries; see the dead-letter queue',
    );

    // EventBridge counts each delivery of the schedule to the function; a day and two hours
    // without one (missing hours count as breaching) means the daily run did not happen. Runs
    // that start but fail are the dead-letter alarm's.
    this.missedRunAlarm = new Alarm(this, 'MissedRunAlarm', {
      alarmDescription: `No scheduled rotation run started in the last ${MISSED_RUN_HOURS} hours`,
      metric: new Metric({
        namespace: 'AWS/Events',
        metricName: 'Invocations',
        dimensionsMap: { RuleName: this.scheduleRule.ruleName },
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      threshold: 1,
      evaluationPeriods: MISSED_RUN_HOURS,
      datapointsToAlarm: MISSED_RUN_HOURS,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
    });

    new CfnOutput(this, 'EventBusName', {
      value: this.bus.eventBusName,
      description: 'Send RotateTenantKey / RotateAll events here',
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.deadLetterQueue.queueUrl,
      description: 'Failed rotation events',
    });
  }
}
