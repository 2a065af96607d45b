import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { KEY_ADMIN_ACTIONS } from '../../infra/cdk/key-policies.js';
import type { SecretsStacks } from '../../infra/cdk/secrets-app.js';
import { SERVICE_ROLE_PATH } from '../../infra/cdk/service-function.js';
import { apiStacks, KEY_ADMIN_ROLE_ARN, logicalId, REGION, synthesizedApp, templateOf } from './fixture.js';

/** The KMS key policies, the retention of everything stateful and the data stack's protection. */
let stacks: SecretsStacks;
let data: Template;
let templates: [string, Template][];

beforeAll(() => {
  ({ stacks } = synthesizedApp());
  data = Template.fromStack(stacks.data);
  templates = [stacks.data, ...apiStacks(stacks), stacks.rotation, stacks.monitoring].map((stack) => [
    stack.node.path,
    templateOf(stack),
  ]);
});

interface KeyStatement {
  Sid: string;
  Effect: string;
  Principal: Record<string, unknown>;
  Action: string | string[];
  Resource: string;
  Condition?: Record<string, Record<string, unknown>>;
}

const ACCOUNT_ROOT = { 'Fn::Join': ['', ['arn:aws:iam::', { Ref: 'AWS::AccountId' }, ':root']] };
/** The CloudFormation execution role of the default bootstrap (qualifier hnb659fds). */
const DEPLOYMENT_ROLE = {
  'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-\${AWS::AccountId}-${REGION}`,
};
const SERVICE_ROLES = { 'Fn::Join': ['', ['arn:aws:iam::', { Ref: 'AWS::AccountId' }, `:role${SERVICE_ROLE_PATH}*`]] };
const TENANT_CONTEXT = { 'kms:EncryptionContext:tenant': ['USER#*', 'ENV#*'] };
/** Actions that encrypt, decrypt or could confer either (a grant). */
const USE_ACTION = /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey|CreateGrant|\*)/;

const statementsOf = (key: IKey): KeyStatement[] =>
  data.findResources('AWS::KMS::Key')[logicalId(key)]?.Properties.KeyPolicy.Statement;
const actions = (statement: KeyStatement) => ([] as string[]).concat(statement.Action).sort();
const administration = {
  Sid: 'KeyAdministration',
  Effect: 'Allow',
  // Sorted by CDK: plain ARNs before tokens.
  Principal: { AWS: [KEY_ADMIN_ROLE_ARN, DEPLOYMENT_ROLE] },
  Action: [...KEY_ADMIN_ACTIONS].sort(),
  Resource: '*',
};

describe('KMS key policies', () => {
  it('let the deployment role and the configured administrators manage every key, and never use one', () => {
    for (const key of [stacks.data.dataKey, stacks.data.tableKey, stacks.data.operationsKey]) {
      const statements = statementsOf(key);
      expect(statements.find((s) => s.Sid === 'KeyAdministration')).toEqual(administration);
      expect(KEY_ADMIN_ACTIONS.filter((action) => USE_ACTION.test(action))).toEqual([]);
      // No statement for the whole account without a condition: the default `kms:*` policy is gone.
      for (const statement of statements) {
        expect(actions(statement)).not.toContain('kms:*');
        if (JSON.stringify(statement.Principal) === JSON.stringify({ AWS: ACCOUNT_ROOT })) {
          expect(statement.Condition, statement.Sid).toBeDefined();
        }
      }
    }
  });

  it('let only the service function roles use the data key, and only for tenant data keys', () => {
    expect(statementsOf(stacks.data.dataKey)).toEqual([
      administration,
      {
        Sid: 'ServiceFunctionsUseTenantDataKeys',
        Effect: 'Allow',
        Principal: { AWS: ACCOUNT_ROOT },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
        Resource: '*',
        Condition: { ArnLike: { 'aws:PrincipalArn': SERVICE_ROLES }, StringLike: TENANT_CONTEXT },
      },
      {
        Sid: 'ServiceFunctionsDescribeKey',
        Effect: 'Allow',
        Principal: { AWS: ACCOUNT_ROOT },
        Action: 'kms:DescribeKey',
        Resource: '*',
        Condition: { ArnLike: { 'aws:PrincipalArn': SERVICE_ROLES } },
      },
    ]);
  });

  it('let the table key be used only through DynamoDB, by the function roles and the deployment role', () => {
    expect(statementsOf(stacks.data.tableKey)).toEqual([
      administration,
      {
        Sid: 'UseThroughDynamoDB',
        Effect: 'Allow',
        Principal: { AWS: ACCOUNT_ROOT },
        Action: [
          'kms:CreateGrant',
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:Encrypt',
          'kms:GenerateDataKey*',
          'kms:ReEncrypt*',
        ],
        Resource: '*',
        Condition: {
          StringEquals: {
            'kms:ViaService': `dynamodb.${REGION}.amazonaws.com`,
            'kms:CallerAccount': { Ref: 'AWS::AccountId' },
          },
          ArnLike: { 'aws:PrincipalArn': [SERVICE_ROLES, DEPLOYMENT_ROLE] },
        },
      },
      {
        Sid: 'DynamoDBDescribesKey',
        Effect: 'Allow',
        Principal: { Service: 'dynamodb.amazonaws.com' },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:List*'],
        Resource: '*',
      },
    ]);
  });

  it('let CloudWatch Logs use the operations key for this account’s log groups, and alarms publish with it', () => {
    const statements = statementsOf(stacks.data.operationsKey);
    expect(statements.map((s) => [s.Sid, s.Principal])).toEqual([
      ['KeyAdministration', administration.Principal],
      ['CloudWatchLogsEncryptsLogGroups', { Service: `logs.${REGION}.amazonaws.com` }],
      ['AlarmsPublishToEncryptedTopic', { Service: 'cloudwatch.amazonaws.com' }],
      ['EventBridgePublishesToEncryptedTopic', { Service: 'events.amazonaws.com' }],
    ]);
    expect(statements[1]?.Condition).toEqual({
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': {
          'Fn::Join': ['', [`arn:aws:logs:${REGION}:`, { Ref: 'AWS::AccountId' }, ':log-group:*']],
        },
      },
    });
    for (const statement of statements.slice(2))
      expect(actions(statement)).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
  });

  it('match every service function role and no other role by path, without the data stack depending on them', () => {
    const functions = [...stacks.api.endpoints.values(), stacks.api.unmatchedRoute, stacks.rotation.rotation];
    // By stack and logical id: the API's nested stacks repeat ids (each has its `DeploymentRole`).
    const serviceRoles = new Set(functions.map((fn) => `${Stack.of(fn).node.path}/${logicalId(fn.role)}`));
    let serviceRolesSeen = 0;
    for (const [name, template] of templates) {
      for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
        if (serviceRoles.has(`${name}/${id}`)) {
          serviceRolesSeen += 1;
          expect(role.Properties.Path, `${name}/${id}`).toBe(SERVICE_ROLE_PATH);
        } else expect(role.Properties.Path, `${name}/${id} must not be able to use the keys`).toBeUndefined();
      }
    }
    expect(serviceRoles.size).toBe(functions.length);
    expect(serviceRolesSeen).toBe(functions.length);
    // The key policies name a path, not the roles: the data stack depends on no other stack.
    expect(stacks.data.dependencies).toEqual([]);
  });
});

/**
 * Every resource type the app creates, classified. A stateful resource holds data (or the keys
 * to it) that a replacement or a stack deletion would lose; it must be retained on both. A new
 * resource type fails the test until it is classified here.
 */
const STATEFUL_TYPES = [
  'AWS::DynamoDB::GlobalTable',
  'AWS::KMS::Key',
  'AWS::KMS::Alias',
  'AWS::Logs::LogGroup',
  'AWS::SQS::Queue',
];
const STATELESS_TYPES = [
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Authorizer',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Stage',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::Dashboard',
  // A nested stack of the API stack; the resources it holds are in its own template, checked too.
  'AWS::CloudFormation::Stack',
  'AWS::CodeDeploy::Application',
  'AWS::CodeDeploy::DeploymentGroup',
  'AWS::Events::EventBus',
  'AWS::Events::Rule',
  'AWS::IAM::Policy',
  // CDK's overflow of a role policy grown too large (the CodeDeploy role of a large group of routes).
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::Role',
  'AWS::Lambda::Alias',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Lambda::Function',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Version',
  'AWS::Logs::MetricFilter',
  'AWS::SNS::Subscription',
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::QueuePolicy',
];

describe('retention', () => {
  it('retains every stateful resource on replacement and on stack deletion, and knows every resource type', () => {
    const unclassified = new Set<string>();
    let stateful = 0;
    for (const [name, template] of templates) {
      for (const [id, resource] of Object.entries(template.toJSON().Resources as Record<string, { Type: string }>)) {
        if (STATEFUL_TYPES.includes(resource.Type)) {
          stateful += 1;
          expect(resource, `${name}/${id} (${resource.Type})`).toMatchObject({
            DeletionPolicy: 'Retain',
            UpdateReplacePolicy: 'Retain',
          });
        } else if (!STATELESS_TYPES.includes(resource.Type)) {
          unclassified.add(resource.Type);
        }
      }
    }
    expect([...unclassified], 'classify these types as stateful or stateless').toEqual([]);
    // The table, 3 keys and their aliases, the log groups (each API function's, the access
    // log's, the rotation function's) and the dead-letter queue.
    expect(stateful).toBe(1 + 3 + 3 + (stacks.api.endpoints.size + 1 + 1 + 1) + 1);
  });

  it('protects the data stack from deletion', () => {
    expect(stacks.data.terminationProtection).toBe(true);
    const { app } = synthesizedApp();
    expect(app.synth().getStackArtifact(stacks.data.artifactId).terminationProtection).toBe(true);
    for (const stack of [stacks.api, stacks.rotation, stacks.monitoring])
      expect(stack.terminationProtection).toBe(false);
  });
});
