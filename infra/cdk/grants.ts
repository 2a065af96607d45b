import { TABLE_DEFINITION } from '../../lib/store/table.js';
import type { RouteDefinition, TableAction } from '../routes.js';

/**
 * IAM statements the service's functions need: an endpoint's derived only from its route
 * entry, the rotation function's from what lib/rotation calls. Pure: it takes ARNs (CDK tokens
 * in the stack, plain strings in tests) and returns plain statement specs, so the
 * least-privilege rules can be checked without synthesizing anything.
 */
export interface GrantTargets {
  tableArn: string;
  /** The customer-managed key the table is encrypted with (server-side encryption). */
  tableKeyArn: string;
  /** The KMS key tenant data keys are generated under and unwrapped with. */
  dataKeyArn: string;
  region: string;
}

export interface RotationGrantTargets extends GrantTargets {
  /** The custom bus rotation publishes its events to. */
  eventBusArn: string;
  /**
   * KMS keys data keys may still be wrapped under after the data key was replaced; rotation
   * re-wraps them away from these with ReEncrypt (see docs/deploying.md, `rotationSourceKeyArns`).
   */
  sourceKeyArns?: readonly string[];
}

export interface StatementSpec {
  actions: string[];
  resources: string[];
  conditions?: Record<string, Record<string, string | string[]>>;
}

const INDEX_NAMES = TABLE_DEFINITION.indexes.map((index) => index.name);

/** Item-changing actions; a route with any of them also gets the table key's encrypting actions. */
const WRITE_ACTIONS: ReadonlySet<TableAction> = new Set<TableAction>([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
]);

export function routeGrants(route: RouteDefinition, targets: GrantTargets): StatementSpec[] {
  const statements: StatementSpec[] = [];
  const tableActions = unique(route.table);

  if (tableActions.length > 0) {
    statements.push({
      actions: tableActions.map((action) => `dynamodb:${action}`),
      // Index ARNs are named, not `index/*`: exact, and no wildcard left for cdk-nag to flag.
      resources: route.index
        ? [targets.tableArn, ...INDEX_NAMES.map((name) => `${targets.tableArn}/index/${name}`)]
        : [targets.tableArn],
    });
    statements.push(tableKeyStatement(tableActions, targets));
  }

  const kmsActions = unique(route.kms);
  if (kmsActions.length > 0) {
    if (!route.tenantKind) throw new Error(`${route.method} ${route.path} uses KMS but names no tenantKind`);
    statements.push({
      actions: kmsActions.map((action) => `kms:${action}`),
      resources: [targets.dataKeyArn],
      // The encryption context names the tenant (`USER#…` / `ENV#…`), so a route can only
      // use data keys of its own tenant kind, whatever the handler asks for.
      conditions: { StringLike: { 'kms:EncryptionContext:tenant': `${route.tenantKind}#*` } },
    });
  }
  return statements;
}

/**
 * With a customer-managed table key, DynamoDB uses that key on behalf of the calling principal,
 * so the caller's policy must allow it: `Decrypt` for any item access, and for writes also
 * `Encrypt` and `GenerateDataKey`. `kms:ViaService` limits the statement to requests DynamoDB
 * makes in this region, so a function cannot call KMS with the table key itself.
 */
function tableKeyStatement(tableActions: TableAction[], targets: GrantTargets): StatementSpec {
  const writes = tableActions.some((action) => WRITE_ACTIONS.has(action));
  return {
    actions: writes ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
    resources: [targets.tableKeyArn],
    conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${targets.region}.amazonaws.com` } },
  };
}

/** Data keys name their tenant in the encryption context: `USER#<sub>` or `ENV#<id>`. */
const anyTenant = () => ({ StringLike: { 'kms:EncryptionContext:tenant': ['USER#*', 'ENV#*'] } });
/**
 * What lib/rotation does to the table: tenant and key queries (GSI1 too), reads, Put+Update
 * transactions, and the scheduled purge of deleted environments (batch and single deletes).
 */
const ROTATION_TABLE_ACTIONS: TableAction[] = [
  'Query',
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
];

/**
 * IAM statements of the rotation function (lib/rotation). It works on every tenant, so its
 * data-key use is limited to the two tenant kinds rather than one; DescribeKey (resolving the
 * configured key to its ARN) carries no encryption context and so no condition.
 */
export function rotationGrants(targets: RotationGrantTargets): StatementSpec[] {
  const statements: StatementSpec[] = [
    {
      actions: ROTATION_TABLE_ACTIONS.map((action) => `dynamodb:${action}`),
      resources: [targets.tableArn, ...INDEX_NAMES.map((name) => `${targets.tableArn}/index/${name}`)],
    },
    tableKeyStatement(ROTATION_TABLE_ACTIONS, targets),
    {
      // A new data key per rotated tenant, unwrapping old ones, and re-wrapping (ReEncrypt is
      // authorised as ReEncryptFrom on the source key and ReEncryptTo on the destination key).
      actions: ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      resources: [targets.dataKeyArn],
      conditions: anyTenant(),
    },
    { actions: ['kms:DescribeKey'], resources: [targets.dataKeyArn] },
  ];
  const sourceKeys = unique(targets.sourceKeyArns ?? []);
  if (sourceKeys.length > 0) {
    // Only re-wrapping away from a replaced key (ReEncrypt keeps the plaintext inside KMS); no
    // Decrypt, so the function can never unwrap a data key with it.
    statements.push({ actions: ['kms:ReEncryptFrom'], resources: sourceKeys, conditions: anyTenant() });
  }
  statements.push({ actions: ['events:PutEvents'], resources: [targets.eventBusArn] });
  return statements;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
