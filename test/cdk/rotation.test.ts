import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { rotationGrants, type StatementSpec } from '../../infra/cdk/grants.js';
import { ROTATION_BUS_NAME, ROTATION_TRIGGERS } from '../../infra/cdk/rotation-stack.js';
import type { SecretsStacks } from '../../infra/cdk/secrets-app.js';
import { EVENT_SOURCE } from '../../lib/rotation/events.js';
import {
  dataProducers,
  describeValue,
  LOGS_STATEMENT,
  logicalId,
  type NormalizedStatement,
  PREVIOUS_DATA_KEY_ARN,
  type Producer,
  permissions,
  REGION,
  resourceOf,
  statementsOf,
  synthesizedApp,
  XRAY_STATEMENT,
} from './fixture.js';

/** Checks the rotation stack of the app synthesized once (fixture.ts). */
let outdir: string;
let stacks: SecretsStacks;
let rotation: Template;
let producers: Producer[];
let ids: { bus: string; queue: string; fn: string; alias: string };

beforeAll(() => {
  ({ stacks, outdir } = synthesizedApp());
  rotation = Template.fromStack(stacks.rotation);
  const { bus, deadLetterQueue } = stacks.rotation;
  producers = [...dataProducers(stacks), ['rotation bus', bus, 'Arn'], ['dead-letter queue', deadLetterQueue, 'Arn']];
  ids = {
    bus: logicalId(bus),
    queue: logicalId(deadLetterQueue),
    fn: logicalId(stacks.rotation.rotation.function),
    alias: logicalId(stacks.rotation.rotation.alias),
  };
});

/** What the function publishes (lib/rotation/events.ts); none of it may start another run. */
const EMITTED_DETAIL_TYPES = ['TenantKeyRotated', 'SecretRotationDue', 'DataKeysRewrapped'];

const resourcesOf = (type: string) =>
  Object.values(rotation.findResources(type)).map((resource) => resource.Properties);
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const rule = (id: string) => rotation.findResources('AWS::Events::Rule')[id]?.Properties;

describe('rotation stack', () => {
  it('has the secrets-rotation bus and outputs its name', () => {
    expect(resourcesOf('AWS::Events::EventBus')).toEqual([expect.objectContaining({ Name: ROTATION_BUS_NAME })]);
    rotation.hasOutput('EventBusName', { Value: { Ref: ids.bus } });
  });

  it('starts a run on exactly RotateTenantKey and RotateAll on that bus, never on its own events', () => {
    const trigger = rule(logicalId(stacks.rotation.triggerRule));
    expect(trigger?.EventBusName).toEqual({ Ref: ids.bus });
    expect(trigger?.EventPattern).toEqual({
      'detail-type': ['RotateTenantKey', 'RotateAll'],
      source: [{ 'anything-but': [EVENT_SOURCE] }],
    });
    expect(ROTATION_TRIGGERS.filter((type) => EMITTED_DETAIL_TYPES.includes(type))).toEqual([]);
  });

  it('runs daily from the default bus', () => {
    const schedule = rule(logicalId(stacks.rotation.scheduleRule));
    expect(schedule?.ScheduleExpression).toMatch(/^cron\(\d{1,2} \d{1,2} \* \* \? \*\)$/);
    expect(schedule?.EventBusName).toBeUndefined();
    expect(schedule?.EventPattern).toBeUndefined();
  });

  it("delivers both rules to the function's live alias with retries and the dead-letter queue, and lets them invoke it", () => {
    const rules = rotation.findResources('AWS::Events::Rule');
    expect(Object.keys(rules).sort()).toEqual(
      [logicalId(stacks.rotation.triggerRule), logicalId(stacks.rotation.scheduleRule)].sort(),
    );
    for (const [id, { Properties }] of Object.entries(rules)) {
      expect(Properties.Targets, id).toEqual([
        {
          Id: expect.any(String),
          Arn: { Ref: ids.alias },
          DeadLetterConfig: { Arn: arnOf(ids.queue) },
          RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
        },
      ]);
      expect(Properties.Targets[0].RetryPolicy.MaximumRetryAttempts, id).toBeGreaterThan(0);
    }
    const invokers = resourcesOf('AWS::Lambda::Permission').filter((permission) =>
      JSON.stringify(permission.FunctionName).includes(ids.alias),
    );
    expect(resourcesOf('AWS::Lambda::Permission')).toHaveLength(invokers.length);
    expect(
      invokers
        .map((permission) => [permission.Action, permission.Principal, permission.SourceArn['Fn::GetAtt'][0]])
        .sort(),
    ).toEqual(
      Object.keys(rules)
        .sort()
        .map((id) => ['lambda:InvokeFunction', 'events.amazonaws.com', id]),
    );
  });

  it("runs the rotation handler for up to 15 minutes, one run at a time, with the API functions' settings", () => {
    const fn = rotation.findResources('AWS::Lambda::Function')[ids.fn]?.Properties;
    expect(fn).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 900,
      MemorySize: 1024,
      ReservedConcurrentExecutions: 1,
      LoggingConfig: { LogGroup: { Ref: logicalId(stacks.rotation.rotation.logGroup) } },
    });
    const variables = fn?.Environment.Variables;
    expect(describeValue(variables.TABLE_NAME, producers)).toBe('table name');
    expect(describeValue(variables.KMS_KEY_ID, producers)).toBe('data key');
    expect(variables).toMatchObject({
      EVENT_BUS_NAME: { Ref: ids.bus },
      KEY_MAX_AGE_DAYS: '90',
      SECRET_MAX_AGE_DAYS: '90',
    });

    const [endpoint] = stacks.api.endpoints.values();
    const apiVariables = resourceOf(endpoint!.function).Properties.Environment.Variables;
    for (const name of ['DATA_KEY_CACHE_SECONDS', 'UPSTREAM_TIMEOUT_MS', 'NODE_OPTIONS'])
      expect(variables[name], name).toBe(apiVariables[name]);
    for (const name of ['TABLE_NAME', 'KMS_KEY_ID'])
      expect(describeValue(variables[name], producers)).toBe(describeValue(apiVariables[name], producers));
  });

  it('gives the function exactly rotationGrants, its log group and sending to the dead-letter queue', () => {
    const expected: StatementSpec[] = rotationGrants({
      tableArn: 'table',
      tableKeyArn: 'table key',
      dataKeyArn: 'data key',
      region: REGION,
      eventBusArn: 'rotation bus',
      sourceKeyArns: [PREVIOUS_DATA_KEY_ARN],
    });
    const granted = statementsOf(stacks.rotation.rotation, producers);
    expect(permissions(granted)).toEqual(
      permissions([
        LOGS_STATEMENT,
        XRAY_STATEMENT,
        ...expected.map(
          ({ actions, resources, conditions }): NormalizedStatement => ({
            actions,
            resources,
            ...(conditions ? { condition: conditions } : {}),
          }),
        ),
        { actions: ['sqs:SendMessage'], resources: ['dead-letter queue'] },
      ]),
    );
    // The previous key from the context is there, for re-wrapping only.
    expect(permissions(granted).filter((permission) => permission.includes(PREVIOUS_DATA_KEY_ARN))).toEqual([
      `kms:ReEncryptFrom on ${PREVIOUS_DATA_KEY_ARN} if {"StringLike":{"kms:EncryptionContext:tenant":["USER#*","ENV#*"]}}`,
    ]);
  });

  it('retries failed runs of the live alias twice, then sends them to the dead-letter queue', () => {
    expect(resourcesOf('AWS::Lambda::EventInvokeConfig')).toEqual([
      {
        FunctionName: { Ref: ids.fn },
        Qualifier: { 'Fn::Select': [7, { 'Fn::Split': [':', { Ref: ids.alias }] }] },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: expect.any(Number),
        DestinationConfig: { OnFailure: { Destination: arnOf(ids.queue) } },
      },
    ]);
  });

  it('keeps dead letters encrypted for 14 days, over TLS only, from these rules only', () => {
    expect(resourcesOf('AWS::SQS::Queue')).toEqual([
      { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 },
    ]);
    const [policy] = resourcesOf('AWS::SQS::QueuePolicy');
    expect(policy?.Queues).toEqual([{ Ref: ids.queue }]);
    const statements = policy?.PolicyDocument.Statement as {
      Effect: string;
      Principal: unknown;
      Condition: Record<string, Record<string, unknown>>;
    }[];
    expect(statements.filter((s) => s.Effect === 'Deny').map((s) => s.Condition)).toEqual([
      { Bool: { 'aws:SecureTransport': 'false' } },
    ]);
    const allowed = statements.filter((s) => s.Effect === 'Allow');
    expect(allowed.map((s) => s.Principal)).toEqual(allowed.map(() => ({ Service: 'events.amazonaws.com' })));
    expect(
      allowed
        .map((s) => (s.Condition.ArnEquals!['aws:SourceArn'] as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0])
        .sort(),
    ).toEqual([logicalId(stacks.rotation.triggerRule), logicalId(stacks.rotation.scheduleRule)].sort());
  });

  it('alarms as soon as one message waits in the dead-letter queue', () => {
    const alarms = resourcesOf('AWS::CloudWatch::Alarm').filter((alarm) => alarm.Namespace === 'AWS/SQS');
    expect(alarms).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    ]);
  });

  it('has no open cdk-nag finding, and a written reason for each of its three acknowledgements', () => {
    const report = new AwsSolutionsChecks().validateScope(stacks.rotation);
    expect(
      report.violations.map(
        (violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath)}`,
      ),
    ).toEqual([]);

    const acknowledged = stacks.rotation.node
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

  it('bundles a handler that loads as plain Node ESM and rejects an event it cannot read', () => {
    const fn = rotation.findResources('AWS::Lambda::Function')[ids.fn];
    const bundle = pathToFileURL(
      join(outdir, `asset.${String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs'),
    ).href;
    const script = `
      const { handler } = await import(${JSON.stringify(bundle)});
      const outcome = await handler({ id: 'test', 'detail-type': 'TenantKeyRotated', detail: {} }).then(() => 'resolved', (error) => error.message);
      process.stdout.write(outcome);`;
    const outcome = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    expect(outcome).toMatch(/^Unreadable rotation event/);
  });
});
