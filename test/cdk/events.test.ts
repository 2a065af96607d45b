import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHANGE_EVENTS_BUS_NAME, DELIVERY, ITERATOR_AGE_ALARM_MS } from '../../infra/cdk/events-stack.js';
import type { SecretsStacks } from '../../infra/cdk/secrets-app.js';
import { CHANGE_ACTIONS } from '../../lib/store/items/audit-event.js';
import { TABLE_DEFINITION } from '../../lib/store/table.js';
import {
  dataProducers,
  describeValue,
  LOGS_STATEMENT,
  logicalId,
  type NormalizedStatement,
  permissions,
  REGION,
  resourceOf,
  synthesizedApp,
  XRAY_STATEMENT,
} from './fixture.js';

/** Checks the change-event stack of the app synthesized once (fixture.ts). */
let outdir: string;
let stacks: SecretsStacks;
let events: Template;
let ids: { bus: string; queue: string; fn: string; alias: string; role: string };

beforeAll(() => {
  ({ stacks, outdir } = synthesizedApp());
  events = Template.fromStack(stacks.events);
  const { bus, deadLetterQueue, publisher } = stacks.events;
  ids = {
    bus: logicalId(bus),
    queue: logicalId(deadLetterQueue),
    fn: logicalId(publisher.function),
    alias: logicalId(publisher.alias),
    role: logicalId(publisher.role),
  };
});

const resourcesOf = (type: string) => Object.values(events.findResources(type)).map((resource) => resource.Properties);
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/**
 * Names an ARN in the publisher's policy: the data stack's values (the table's stream apart
 * from the table itself, which the fixture's names cannot tell), or this stack's resources.
 */
function describeResource(value: unknown): string {
  const text = JSON.stringify(value);
  if (text.includes('StreamArn')) return 'table stream';
  if (text === JSON.stringify(arnOf(ids.bus))) return 'change bus';
  if (text === JSON.stringify(arnOf(ids.queue))) return 'dead-letter queue';
  if (text.includes(`"${logicalId(stacks.events.publisher.logGroup)}"`)) return 'own log group';
  return describeValue(value, dataProducers(stacks));
}

function publisherStatements(): NormalizedStatement[] {
  const policies = resourcesOf('AWS::IAM::Policy').filter((policy) =>
    policy.Roles.some((role: { Ref: string }) => role.Ref === ids.role),
  );
  expect(policies).toHaveLength(1);
  return policies[0]!.PolicyDocument.Statement.map(
    (statement: { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown }) => {
      expect(statement.Effect).toBe('Allow');
      return {
        actions: ([] as string[]).concat(statement.Action).sort(),
        resources: ([] as unknown[]).concat(statement.Resource).map(describeResource).sort(),
        ...(statement.Condition ? { condition: statement.Condition } : {}),
      };
    },
  );
}

describe('change-event stack', () => {
  it('enables the table stream with new images, from the shared table definition', () => {
    expect(TABLE_DEFINITION.streamViewType).toBe('NEW_IMAGE');
    Template.fromStack(stacks.data).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
  });

  it('has the secrets-events bus, apart from the rotation bus, and outputs its name', () => {
    expect(resourcesOf('AWS::Events::EventBus')).toEqual([expect.objectContaining({ Name: CHANGE_EVENTS_BUS_NAME })]);
    expect(CHANGE_EVENTS_BUS_NAME).not.toBe(stacks.rotation.bus.eventBusName);
    events.hasOutput('EventBusName', { Value: { Ref: ids.bus } });
    // Nothing in this stack reacts to the bus: it only carries facts out.
    expect(resourcesOf('AWS::Events::Rule')).toEqual([]);
  });

  it('runs the publisher handler on Node 22 arm64 with the bus name and nothing of the table or keys', () => {
    const fn = resourceOf(stacks.events.publisher.function).Properties;
    expect(fn).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: logicalId(stacks.events.publisher.logGroup) } },
      TracingConfig: { Mode: 'Active' },
    });
    expect(fn.Environment.Variables).toEqual({
      EVENT_BUS_NAME: { Ref: ids.bus },
    });
  });

  it("feeds the function's live alias from the table stream: inserted change audits only, partial failures, DLQ", () => {
    const mappings = resourcesOf('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const [mapping] = mappings;
    expect(describeResource(mapping.EventSourceArn)).toBe('table stream');
    expect(JSON.stringify(mapping.FunctionName)).toContain(`"Ref":"${ids.alias}"`);
    expect(mapping).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: DELIVERY.retryAttempts,
      MaximumRecordAgeInSeconds: DELIVERY.maxRecordAge.toSeconds(),
      DestinationConfig: { OnFailure: { Destination: arnOf(ids.queue) } },
    });
    // Retried and split, but never past the stream's 24 hours: a dead letter must still be re-readable.
    expect(mapping.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(mapping.MaximumRecordAgeInSeconds).toBeLessThan(24 * 3600);
    expect(mapping.FilterCriteria.Filters.map((filter: { Pattern: string }) => JSON.parse(filter.Pattern))).toEqual([
      {
        eventName: ['INSERT'],
        dynamodb: {
          Keys: { SK: { S: [{ prefix: 'AUDIT#' }] } },
          NewImage: { action: { S: [...CHANGE_ACTIONS] } },
        },
      },
    ]);
    // Created after the role's policy, which Lambda checks when it creates the mapping.
    const [id] = Object.keys(events.findResources('AWS::Lambda::EventSourceMapping'));
    expect(events.toJSON().Resources[id!].DependsOn).toEqual(expect.arrayContaining([ids.role]));
  });

  it('lets the publisher read the stream and put events on its bus, and nothing of the items or data keys', () => {
    const statements = publisherStatements();
    expect(permissions(statements)).toEqual(
      permissions([
        LOGS_STATEMENT,
        XRAY_STATEMENT,
        {
          actions: [
            'dynamodb:DescribeStream',
            'dynamodb:GetRecords',
            'dynamodb:GetShardIterator',
            'dynamodb:ListStreams',
          ],
          resources: ['table stream'],
        },
        {
          actions: ['kms:Decrypt'],
          resources: ['table key'],
          condition: { StringEquals: { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` } },
        },
        { actions: ['events:PutEvents'], resources: ['change bus'] },
        { actions: ['sqs:SendMessage'], resources: ['dead-letter queue'] },
      ]),
    );
    const actions = statements.flatMap((statement) => statement.actions);
    for (const forbidden of ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:PutItem']) {
      expect(actions).not.toContain(forbidden);
    }
    expect(actions.filter((action) => /^kms:(GenerateDataKey|Encrypt|ReEncrypt)/.test(action))).toEqual([]);
    expect(statements.flatMap((statement) => statement.resources)).not.toContain('data key');
    expect(statements.flatMap((statement) => statement.resources)).not.toContain('table');
  });

  it('keeps dead letters encrypted for 14 days, retained, over TLS only', () => {
    expect(events.toJSON().Resources[ids.queue]).toMatchObject({
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 },
      DeletionPolicy: 'Retain',
    });
    const [policy] = resourcesOf('AWS::SQS::QueuePolicy');
    expect(policy?.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
    events.hasOutput('DeadLetterQueueUrl', { Value: { Ref: ids.queue } });
  });

  it('alarms on a dead letter, on the stream backlog and on function errors, each notifying the alarm topic', () => {
    const alarms = resourcesOf('AWS::CloudWatch::Alarm');
    const byMetric = (name: string) => alarms.filter((alarm) => alarm.MetricName === name);
    expect(alarms).toHaveLength(3);
    expect(byMetric('ApproximateNumberOfMessagesVisible')).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    ]);
    expect(byMetric('IteratorAge')).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.fn } }],
        Statistic: 'Maximum',
        Threshold: ITERATOR_AGE_ALARM_MS,
      }),
    ]);
    expect(byMetric('Errors')).toEqual([
      expect.objectContaining({
        AlarmName: 'SecretsEvents-PublishChangeEvents-Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.fn } }],
        Threshold: 1,
      }),
    ]);
    for (const alarm of alarms) {
      for (const actions of [alarm.AlarmActions, alarm.OKActions]) {
        expect(actions).toHaveLength(1);
        expect(JSON.stringify(actions)).toContain(logicalId(stacks.data.alarmTopic));
      }
    }
  });

  it('has no open cdk-nag finding, and a written reason for each of its three acknowledgements', () => {
    const report = new AwsSolutionsChecks().validateScope(stacks.events);
    expect(
      report.violations.map(
        (violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath)}`,
      ),
    ).toEqual([]);
    const acknowledged = stacks.events.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
      );
    expect(acknowledged.map(([rule]) => rule.replace(/^Annotation::/, '')).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-L1',
      'AwsSolutions-SQS3',
    ]);
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(30);
  });

  it('bundles a handler that loads as plain Node ESM, passes over non-changes and rejects an unreadable event', () => {
    const fn = resourceOf(stacks.events.publisher.function);
    const bundle = pathToFileURL(
      join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs'),
    ).href;
    // An access audit and a secret: no event, so no call to EventBridge is made.
    const batch = {
      Records: [
        {
          eventName: 'INSERT',
          dynamodb: {
            SequenceNumber: '1',
            Keys: { PK: { S: 'USER#a' }, SK: { S: 'AUDIT#01J' } },
            NewImage: {
              PK: { S: 'USER#a' },
              SK: { S: 'AUDIT#01J' },
              action: { S: 'reveal' },
              actor: { S: 'a' },
              request_id: { S: 'r' },
              keys: { L: [] },
              at: { S: '2025-01-01T00:00:00Z' },
            },
          },
        },
        {
          eventName: 'INSERT',
          dynamodb: { SequenceNumber: '2', Keys: { PK: { S: 'USER#a' }, SK: { S: 'SECRET#x' } } },
        },
      ],
    };
    const script = `
      const { handler } = await import(${JSON.stringify(bundle)});
      const answer = await handler(${JSON.stringify(batch)});
      const refused = await handler({ records: [] }).then(() => 'resolved', (error) => error.message);
      process.stdout.write(JSON.stringify({ answer, refused }));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'silent', AWS_REGION: REGION, EVENT_BUS_NAME: CHANGE_EVENTS_BUS_NAME },
    });
    expect(JSON.parse(output)).toEqual({
      answer: { batchItemFailures: [] },
      refused: 'Unreadable stream event at: Records',
    });
  });
});
