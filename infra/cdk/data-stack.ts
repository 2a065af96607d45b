import { DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import {
  AttributeType,
  Billing,
  type ITableV2,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key, type KeyProps } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { TABLE_DEFINITION } from '../../lib/store/table.js';
import { dataKeyPolicy, type KeyPolicyTargets, operationsKeyPolicy, tableKeyPolicy } from './key-policies.js';
import { SERVICE_ROLE_PATH } from './service-function.js';

/** The data key alias is also the service's default `KMS_KEY_ID` (lib/config.ts). */
export const DATA_KEY_ALIAS = 'alias/secrets-service';
export const TABLE_KEY_ALIAS = 'alias/secrets-service-table';
export const OPERATIONS_KEY_ALIAS = 'alias/secrets-service-operations';

/** Key operations that can take the service down or widen who may use a key; each one is announced. */
export const ANNOUNCED_KEY_EVENTS = ['PutKeyPolicy', 'ScheduleKeyDeletion', 'DisableKey', 'DisableKeyRotation'];

export interface DataStackProps extends StackProps {
  /** Roles that may administer (never use) the KMS keys, besides the deployment role (settings.ts). */
  keyAdminRoleArns: readonly string[];
  /** Subscribed to the alarm topic by email. */
  alarmEmails: readonly string[];
}

/**
 * Everything stateful: the table and the KMS keys, plus the alarm topic every other stack
 * notifies (it lives here because this stack depends on nothing, so any stack may use it
 * without a cycle). Termination protection is on, and every key, alias and the table are
 * retained even if the stack is deleted; cross-stack references are weak (cdk.json), so
 * nothing else would stop a deletion. Kept apart from the API stack, so the stateless side can
 * be replaced freely.
 */
export class DataStack extends Stack {
  readonly table: ITableV2;
  /** Encrypts the table at rest (DynamoDB server-side encryption). */
  readonly tableKey: IKey;
  /** Tenant data keys are generated under this key and stored only wrapped by it. */
  readonly dataKey: IKey;
  /** Encrypts the service's log groups and the alarm topic. */
  readonly operationsKey: IKey;
  /** Every alarm of the service notifies it, on ALARM and on OK (secrets-app.ts). */
  readonly alarmTopic: Topic;
  /** Announces key policy changes, scheduled deletions and disabling of the service's keys. */
  readonly keyChangeRule: Rule;
  readonly tableThrottlesAlarm: Alarm;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { terminationProtection: true, ...props });

    const keyPolicyTargets: KeyPolicyTargets = {
      adminRoleArns: [this.deploymentRoleArn(), ...props.keyAdminRoleArns],
      serviceRoleArnPattern: `arn:${this.partition}:iam::${this.account}:role${SERVICE_ROLE_PATH}*`,
      deploymentRoleArn: this.deploymentRoleArn(),
      account: this.account,
      partition: this.partition,
      region: this.region,
    };
    this.dataKey = this.retainedKey('DataKey', DATA_KEY_ALIAS, {
      description: 'Generates and unwraps per-tenant data keys of the secrets service',
      policy: dataKeyPolicy(keyPolicyTargets),
    });
    this.tableKey = this.retainedKey('TableKey', TABLE_KEY_ALIAS, {
      description: 'Encrypts the secrets service table at rest',
      policy: tableKeyPolicy(keyPolicyTargets),
    });
    this.operationsKey = this.retainedKey('OperationsKey', OPERATIONS_KEY_ALIAS, {
      description: 'Encrypts the secrets service log groups and alarm topic',
      policy: operationsKeyPolicy(keyPolicyTargets),
    });

    const { partitionKey, sortKey, indexes, ttlAttribute, streamViewType } = TABLE_DEFINITION;
    const stringKey = (name: string) => ({ name, type: AttributeType.STRING });
    this.table = new TableV2(this, 'Table', {
      partitionKey: stringKey(partitionKey),
      sortKey: stringKey(sortKey),
      globalSecondaryIndexes: indexes.map((index) => ({
        indexName: index.name,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
      })),
      timeToLiveAttribute: ttlAttribute,
      // Read by the change-event publisher (events-stack.ts).
      dynamoStream: StreamViewType[streamViewType],
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryptionV2.customerManagedKey(this.tableKey),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'Secrets service alarms',
      masterKey: this.operationsKey,
      enforceSSL: true,
    });
    for (const email of props.alarmEmails) this.alarmTopic.addSubscription(new EmailSubscription(email));
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AlarmsOfThisAccountPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:*` },
        },
      }),
    );

    this.keyChangeRule = this.announceKeyChanges([this.dataKey, this.tableKey, this.operationsKey]);
    this.tableThrottlesAlarm = new Alarm(this, 'TableThrottlesAlarm', {
      alarmDescription:
        'DynamoDB throttled requests to the secrets table or its index (hot partition or on-demand limits); the functions retry, then answer 429',
      metric: this.tableThrottleEvents(),
      threshold: 10,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** Read and write throttle events of the table and of each index, summed per 5 minutes. */
  tableThrottleEvents(): IMetric {
    const metric = (metricName: string, index?: string) =>
      new Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: this.table.tableName, ...(index ? { GlobalSecondaryIndexName: index } : {}) },
        statistic: 'Sum',
        period: Duration.minutes(5),
      });
    const usingMetrics: Record<string, IMetric> = {};
    for (const [index, scope] of [undefined, ...TABLE_DEFINITION.indexes.map((i) => i.name)].entries()) {
      usingMetrics[`reads${index}`] = metric('ReadThrottleEvents', scope);
      usingMetrics[`writes${index}`] = metric('WriteThrottleEvents', scope);
    }
    return new MathExpression({
      expression: `SUM([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      label: 'Throttle events (table and indexes)',
      period: Duration.minutes(5),
    });
  }

  /**
   * The role CloudFormation deploys with (`cdk bootstrap` creates it). It manages the keys, so
   * the key policies must name it; it is never allowed to use them outside DynamoDB.
   */
  private deploymentRoleArn(): string {
    const synthesizer = this.synthesizer;
    const arn = synthesizer instanceof DefaultStackSynthesizer ? synthesizer.cloudFormationExecutionRole : undefined;
    if (!arn)
      throw new Error(
        'The data stack needs the default synthesizer, whose CloudFormation execution role manages the keys',
      );
    return Fn.sub(arn);
  }

  /** A rotating key whose resource and alias both outlive the stack. */
  private retainedKey(id: string, alias: string, props: KeyProps): Key {
    const key = new Key(this, id, { ...props, enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
    // Added the way the `alias` prop would (same construct id, so an existing alias is kept).
    key.addAlias(alias).applyRemovalPolicy(RemovalPolicy.RETAIN);
    return key;
  }

  /**
   * CloudTrail records key management calls as "AWS API Call via CloudTrail" events on the
   * default bus (the account needs a trail, which production accounts have). The rule sends
   * those that matter to the alarm topic, so a key administrator changing a policy (the one way
   * to widen who may use a key) or scheduling a deletion is always seen.
   */
  private announceKeyChanges(keys: IKey[]): Rule {
    const rule = new Rule(this, 'KeyChangeRule', {
      description: 'Key policy changes, scheduled deletions and disabling of the secrets service KMS keys',
      eventPattern: {
        source: ['aws.kms'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['kms.amazonaws.com'],
          eventName: ANNOUNCED_KEY_EVENTS,
          resources: { ARN: keys.map((key) => key.keyArn) },
        },
      },
    });
    // A plain target and an own topic statement: the stock SnsTopic target would also add an
    // unconditioned events.amazonaws.com statement to the key policy.
    rule.addTarget({ bind: () => ({ arn: this.alarmTopic.topicArn }) });
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'KeyChangeRulePublishes',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
    return rule;
  }
}
