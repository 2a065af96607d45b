import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, type ITableV2, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { TABLE_DEFINITION } from '../../lib/store/table.js';

/** The data key alias is also the service's default `KMS_KEY_ID` (lib/config.ts). */
export const DATA_KEY_ALIAS = 'alias/secrets-service';

/**
 * Everything stateful: the table and the two KMS keys. Retained on stack deletion and kept
 * apart from the API stack, so the stateless side can be replaced freely.
 */
export class DataStack extends Stack {
  readonly table: ITableV2;
  /** Encrypts the table at rest (DynamoDB server-side encryption). */
  readonly tableKey: IKey;
  /** Tenant data keys are generated under this key and stored only wrapped by it. */
  readonly dataKey: IKey;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // Both keys keep the default key policy: the account root may administer and use the key,
    // which delegates every use to IAM — so only the grants in the API stack open them up.
    this.dataKey = new Key(this, 'DataKey', {
      alias: DATA_KEY_ALIAS,
      description: 'Generates and unwraps per-tenant data keys of the secrets service',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.tableKey = new Key(this, 'TableKey', {
      alias: 'alias/secrets-service-table',
      description: 'Encrypts the secrets service table at rest',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const { partitionKey, sortKey, indexes, ttlAttribute } = TABLE_DEFINITION;
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
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryptionV2.customerManagedKey(this.tableKey),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
