import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, type PageQuery, pageOf } from './cursor.js';
import { projection } from './expressions.js';
import { keys } from './keys.js';

export interface CountedPage {
  items: Record<string, unknown>[];
  total: number;
  nextCursor: string | null;
}

/**
 * One page of a tenant's items under a sort-key prefix, in key order, beside the exact `total`
 * kept on the tenant's META item: one strongly consistent Query and one GetItem, in parallel.
 */
export async function queryCountedPage(
  { ddb, tableName }: { ddb: DynamoDBDocumentClient; tableName: string },
  tenant: string,
  prefix: string,
  page: PageQuery,
  attributes?: string[],
): Promise<CountedPage> {
  const after = decodeCursor(page.cursor, prefix);
  const [{ Items = [] }, meta] = await Promise.all([
    ddb.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix },
        ExclusiveStartKey: after === undefined ? undefined : { PK: tenant, SK: after },
        Limit: page.limit + 1,
        ConsistentRead: true,
        ...(attributes ? projection('SK', ...attributes) : {}),
      }),
    ),
    ddb.send(new GetCommand({ TableName: tableName, Key: keys.tenantMeta(tenant), ConsistentRead: true, ...projection('total') })),
  ]);
  const { shown, nextCursor } = pageOf(Items, page.limit);
  return { items: shown, total: typeof meta.Item?.total === 'number' ? meta.Item.total : 0, nextCursor };
}
