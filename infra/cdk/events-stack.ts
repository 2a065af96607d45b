import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus } from 'aws-cdk-lib/aws-events';
import {
  EventSourceMapping,
  FilterCriteria,
  FilterRule,
  type IEventSourceDlq,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { CHANGE_ACTIONS } from '../../lib/store/items/audit-event.js';
import { SK_PREFIX } from '../../lib/store/keys.js';
import { functionAlarmName } from './alarms.js';
import { deadLetterAlarm, retainedDeadLetterQueue } from './dead-letter-queue.js';
import type { StatementSpec } from './grants.js';
import { type ServiceData, ServiceFunction } from './service-function.js';

export type EventsStackProps = StackProps & Pick<ServiceData, 'table' | 'tableKey' | 'operationsKey'>;

/** One deployment per account and region, like the rotation bus: a fixed name consumers can rely on. */
export const CHANGE_EVENTS_BUS_NAME = 'secrets-events';

/**
 * How long a failing batch is retried before it goes to the dead-letter queue. Well inside the
 * stream's 24 hours, so the records a dead letter points at can still be read and sent again.
 */
export const DELIVERY = { retryAttempts: 10, maxRecordAge: Duration.hours(6) };
/** Iterator age at which the events run late enough to alarm. */
export const ITERATOR_AGE_ALARM_MS = 5 * 60_000;
const ALARM_PERIOD = Duration.minutes(5);

export interface PublisherGrantTargets {
  tableStreamArn: string;
  tableKeyArn: string;
  eventBusArn: string;
  deadLetterQueueArn: string;
  region: string;
}

/**
 * What the publisher may do: read the table's stream (the table key decrypts it, through
 * DynamoDB only), put events on the change bus, and send failed batches to its dead-letter
 * queue. No item reads or writes, and no use of the data key: it never sees a value.
 */
export function publisherGrants(targets: PublisherGrantTargets): StatementSpec[] {
  return [
    {
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
      resources: [targets.tableStreamArn],
    },
    {
      actions: ['kms:Decrypt'],
      resources: [targets.tableKeyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${targets.region}.amazonaws.com` } },
    },
    { actions: ['events:PutEvents'], resources: [targets.eventBusArn] },
    // Lambda sends a failed batch's description to the on-failure destination with the function's role.
    { actions: ['sqs:SendMessage'], resources: [targets.deadLetterQueueArn] },
  ];
}

/**
 * Change events (docs/architecture.md, "Change events"): the table's stream, filtered to
 * inserted audit items of changes, drives the publisher function, which puts one event per
 * change on the `secrets-events` bus. A bus of its own, apart from the rotation bus, whose
 * events start work: consumers of changes subscribe here and can never trigger a rotation.
 * Failed batches are retried, split, then described in a dead-letter queue; alarms watch the
 * queue, the stream's backlog (iterator age) and the function's errors.
 */
export class EventsStack extends Stack {
  readonly bus: EventBus;
  readonly publisher: ServiceFunction;
  readonly streamMapping: EventSourceMapping;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;
  readonly iteratorAgeAlarm: Alarm;
  readonly errorsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    super(scope, id, props);
    const tableStreamArn = props.table.tableStreamArn;
    if (!tableStreamArn) throw new Error('The table has no stream; TABLE_DEFINITION.streamViewType enables it');

    this.bus = new EventBus(this, 'Bus', {
      eventBusName: CHANGE_EVENTS_BUS_NAME,
      description: 'Secrets service change events: SecretChanged, MemberChanged, TokenChanged, EnvironmentChanged',
    });

    this.deadLetterQueue = retainedDeadLetterQueue(
      this,
      'the change-event stream mapping (its on-failure destination)',
    );

    this.publisher = new ServiceFunction(this, 'PublishChangeEvents', {
      functionDir: 'publish-change-events',
      description: 'change-event publisher (table stream to EventBridge)',
      statements: publisherGrants({
        tableStreamArn,
        tableKeyArn: props.tableKey.keyArn,
        eventBusArn: this.bus.eventBusArn,
        deadLetterQueueArn: this.deadLetterQueue.queueArn,
        region: this.region,
      }),
      environment: { EVENT_BUS_NAME: this.bus.eventBusName },
      timeout: Duration.seconds(30),
      memorySize: 256,
      logKey: props.operationsKey,
    });

    // The queue ARN alone: the stock SqsDlq would also grant GetQueueAttributes and GetQueueUrl.
    const onFailure: IEventSourceDlq = {
      bind: () => ({ destination: this.deadLetterQueue.queueArn }),
    };
    this.streamMapping = new EventSourceMapping(this, 'StreamMapping', {
      target: this.publisher.alias,
      eventSourceArn: tableStreamArn,
      // The stream is enabled with this stack's first deployment, so nothing before it is missed.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      // Only inserted audit items of changes invoke the function: secrets, headers, data keys,
      // idempotency records, accesses and TTL removals never reach it.
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.isEqual('INSERT'),
          dynamodb: {
            Keys: { SK: { S: FilterRule.beginsWith(SK_PREFIX.audit) } },
            NewImage: { action: { S: FilterRule.or(...CHANGE_ACTIONS) } },
          },
        }),
      ],
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      ...DELIVERY,
      onFailure,
    });
    // Lambda checks the role's stream permissions when it creates the mapping.
    this.streamMapping.node.addDependency(this.publisher.role);

    const greaterOrEqual = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    this.deadLetterAlarm = deadLetterAlarm(
      this,
      'ChangeEventDeadLetterAlarm',
      this.deadLetterQueue,
      'Change events could not be published after retries; the dead-letter queue names the stream records to send again (within 24 hours)',
    );
    this.iteratorAgeAlarm = new Alarm(this, 'IteratorAgeAlarm', {
      alarmDescription: `Change events run more than ${ITERATOR_AGE_ALARM_MS / 60_000} minutes behind the table (the publisher fails or cannot keep up)`,
      metric: this.publisher.function.metric('IteratorAge', { period: ALARM_PERIOD, statistic: 'Maximum' }),
      threshold: ITERATOR_AGE_ALARM_MS,
      evaluationPeriods: 1,
      comparisonOperator: greaterOrEqual,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.errorsAlarm = new Alarm(this.publisher, 'ErrorsAlarm', {
      alarmName: functionAlarmName(this.publisher, 'Errors'),
      alarmDescription: 'The change-event publisher failed whole batches (an unreadable event, a timeout)',
      metric: this.publisher.function.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: greaterOrEqual,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    new CfnOutput(this, 'EventBusName', {
      value: this.bus.eventBusName,
      description: 'Subscribe here to SecretChanged, MemberChanged, TokenChanged and EnvironmentChanged',
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.deadLetterQueue.queueUrl,
      description: 'Change-event batches that could not be published',
    });
  }
}
