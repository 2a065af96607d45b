import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The one table definition. The CDK data stack, the local stack and the tests all build
 * the table from this, so their key schema and indexes cannot drift apart.
 */
export const TABLE_DEFINITION = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** Secondary access pattern: "environments a user belongs to". */
  indexes: [{ name: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' }],
  /** Items with this epoch-seconds attribute expire (audit events). */
  ttlAttribute: 'expires_at',
  /**
   * The table's stream, which the change-event publisher reads (lib/events). New images only:
   * it reads inserted audit items and never needs what an item held before.
   */
  streamViewType: 'NEW_IMAGE',
} as const;

/** `stream: false` leaves the change stream out, for a local table whose stream nothing reads. */
export function createTableInput(tableName: string, { stream = true } = {}): CreateTableCommandInput {
  const { partitionKey, sortKey, indexes, streamViewType } = TABLE_DEFINITION;
  const keyNames = [partitionKey, sortKey, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyNames.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
    ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: streamViewType } } : {}),
  };
}
