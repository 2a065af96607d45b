import { ArnPrincipal, type IPrincipal, PolicyDocument, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';

/**
 * Key policies of the service's KMS keys. None of them has the default statement (account root
 * `kms:*`), which would let any principal whose IAM policy allows it — every administrator,
 * and the deployment role — decrypt every tenant's data key. Instead:
 *
 * - Administrators (the CloudFormation execution role of the CDK bootstrap, which must update
 *   the keys, and the `keyAdminRoleArns` from context) may manage a key but never use it.
 *   They are named as principals: KMS checks that the role deploying a policy may change it
 *   again (the lockout check), and an explicit principal satisfies it for certain.
 * - Only the service's function roles may use a key. Naming them as principals is impossible
 *   here: the roles live in the API and rotation stacks, which take the keys from this stack,
 *   so the data stack referring back to them would be a dependency cycle; and KMS refuses a
 *   policy naming a role that does not exist yet, which they do not when this stack deploys
 *   first. The policy therefore names the account and adds the condition `aws:PrincipalArn`
 *   like `arn:…:role/secrets-service/*`: every service function role is created with that
 *   IAM path (SERVICE_ROLE_PATH), and a role's path cannot change after it is created.
 *   Naming the account also means each function's own IAM policy must allow the call, so
 *   the per-route grants (grants.ts) still decide which function may do what; the key policy
 *   is the outer bound that no IAM policy elsewhere in the account can widen.
 *
 * A key administrator can still rewrite the policy (PutKeyPolicy). That is inherent to
 * administering a key; it is logged by CloudTrail and announced on the alarm topic
 * (DataStack's key-change rule). Creating a role under the service path is the other way in;
 * an SCP denying iam:CreateRole on that path to all but the deployment role closes it
 * (docs/deployment.md).
 */
export interface KeyPolicyTargets {
  /** Roles that administer the keys; the CloudFormation execution role first. */
  adminRoleArns: readonly string[];
  /** `arn:<partition>:iam::<account>:role/secrets-service/*`. */
  serviceRoleArnPattern: string;
  /** The CloudFormation execution role, which also creates the table (and its key grants) through DynamoDB. */
  deploymentRoleArn: string;
  account: string;
  partition: string;
  region: string;
}

/** Managing a key, without any cryptographic use and without CreateGrant (a grant could confer use). */
export const KEY_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:RotateKeyOnDemand',
  'kms:ListKeyRotations',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:UpdateKeyDescription',
  'kms:ListGrants',
  'kms:RevokeGrant',
  'kms:ListResourceTags',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/** What the service's functions do with the data key; encryption-context-bound to a tenant. */
export const DATA_KEY_USE_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'];
/** Data keys name their tenant in the encryption context: `USER#<sub>` or `ENV#<id>`. */
export const TENANT_CONTEXT = { 'kms:EncryptionContext:tenant': ['USER#*', 'ENV#*'] };

/** The tenant data key: used directly by the functions, only for tenant data keys. */
export function dataKeyPolicy(targets: KeyPolicyTargets): PolicyDocument {
  const account = accountPrincipal(targets);
  const serviceRoles = { ArnLike: { 'aws:PrincipalArn': targets.serviceRoleArnPattern } };
  return new PolicyDocument({
    statements: [
      administration(targets),
      new PolicyStatement({
        sid: 'ServiceFunctionsUseTenantDataKeys',
        principals: [account],
        actions: DATA_KEY_USE_ACTIONS,
        resources: ['*'],
        conditions: { ...serviceRoles, StringLike: TENANT_CONTEXT },
      }),
      new PolicyStatement({
        // lib/rotation resolves the configured key to its ARN; DescribeKey has no encryption context.
        sid: 'ServiceFunctionsDescribeKey',
        principals: [account],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: serviceRoles,
      }),
    ],
  });
}

/**
 * The table key: used only by DynamoDB on behalf of the caller (kms:ViaService), and only
 * for the service's functions and the deployment role, which creates and updates the table
 * (DynamoDB creates its grants on the key with the creator's permissions). Operators cannot
 * read the table through DynamoDB; a point-in-time restore by hand needs a key administrator
 * to allow the restoring role first (docs/deployment.md).
 */
export function tableKeyPolicy(targets: KeyPolicyTargets): PolicyDocument {
  return new PolicyDocument({
    statements: [
      administration(targets),
      new PolicyStatement({
        sid: 'UseThroughDynamoDB',
        principals: [accountPrincipal(targets)],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
          'kms:CreateGrant',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'kms:ViaService': `dynamodb.${targets.region}.amazonaws.com`,
            'kms:CallerAccount': targets.account,
          },
          ArnLike: { 'aws:PrincipalArn': [targets.serviceRoleArnPattern, targets.deploymentRoleArn] },
        },
      }),
      new PolicyStatement({
        // As in DynamoDB's documented key policy: it checks the key's state itself.
        sid: 'DynamoDBDescribesKey',
        principals: [new ServicePrincipal('dynamodb.amazonaws.com')],
        actions: ['kms:Describe*', 'kms:Get*', 'kms:List*'],
        resources: ['*'],
      }),
    ],
  });
}

/**
 * The operations key: encrypts the log groups (CloudWatch Logs uses it, for this account's
 * log groups only) and the alarm topic (CloudWatch alarms and EventBridge publish to it).
 * Readers of the logs need no key permission: CloudWatch Logs decrypts for them.
 */
export function operationsKeyPolicy(targets: KeyPolicyTargets): PolicyDocument {
  const publishToTopic = ['kms:Decrypt', 'kms:GenerateDataKey*'];
  return new PolicyDocument({
    statements: [
      administration(targets),
      new PolicyStatement({
        sid: 'CloudWatchLogsEncryptsLogGroups',
        principals: [new ServicePrincipal(`logs.${targets.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${targets.partition}:logs:${targets.region}:${targets.account}:log-group:*`,
          },
        },
      }),
      new PolicyStatement({
        sid: 'AlarmsPublishToEncryptedTopic',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: publishToTopic,
        resources: ['*'],
      }),
      new PolicyStatement({
        sid: 'EventBridgePublishesToEncryptedTopic',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: publishToTopic,
        resources: ['*'],
      }),
    ],
  });
}

function administration(targets: KeyPolicyTargets): PolicyStatement {
  return new PolicyStatement({
    sid: 'KeyAdministration',
    principals: targets.adminRoleArns.map((arn) => new ArnPrincipal(arn)),
    actions: KEY_ADMIN_ACTIONS,
    resources: ['*'],
  });
}

function accountPrincipal(targets: KeyPolicyTargets): IPrincipal {
  return new ArnPrincipal(`arn:${targets.partition}:iam::${targets.account}:root`);
}
