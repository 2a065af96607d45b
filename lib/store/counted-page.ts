import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, type PageQuery, pageOf } from './cursor.js';
import { projection } from './expressions.js';
import { keys, prefixEnd, SK_META } from './keys.js';
import { ACTIVE_KEY_CONDITION } from '../crypto/keyring.js';

export interface CountedPage {
  items: Record<string, unknown>[];
  total: number;
  nextCursor: string | null;
}

/**
 * One page of a tenant's items under a sort-key prefix, in key order, with the exact `total`
 * kept on the tenant's META item. The first page — most lists — is one strongly consistent
 * Query from META to the end of the prefix (nothing sorts between them, see keys.ts); later
 * pages are a Query and a GetItem of META, in parallel.
 */
export async function queryCountedPage(
  { ddb, tableName }: { ddb: DynamoDBDocumentClient; tableName: string },
  tenant: string,
  prefix: string,
  page: PageQuery,
  attributes?: string[],
): Promise<CountedPage> {
  const after = decodeCursor(page.cursor, prefix);
  const read = {
    TableName: tableName,
    ConsistentRead: true,
    ...(attributes ? projection('SK', 'total', ...attributes) : {}),
  };
  let items: Record<string, unknown>[];
  let header: Record<string, unknown> | undefined;
  if (after === undefined) {
    // Stryker disable next-line ArrayDeclaration: equivalent, a Query answer always holds Items
    const { Items = [] } = await ddb.send(
      new QueryCommand({
        ...read,
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :meta AND :end',
        ExpressionAttributeValues: { ':pk': tenant, ':meta': SK_META, ':end': prefixEnd(prefix) },
        // The header, the page, and one extra item that tells whether another page exists.
        Limit: page.limit + 2,
      }),
    );
    // Stryker disable next-line ConditionalExpression: equivalent, a tenant with items always has its META, which sorts first
    header = Items[0]?.SK === SK_META ? Items[0] : undefined;
    items = header ? Items.slice(1) : Items;
  } else {
    // Stryker disable next-line ArrayDeclaration: equivalent, a Query answer always holds Items
    const [{ Items = [] }, meta] = await Promise.all([
      ddb.send(
        new QueryCommand({
          ...read,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix },
          ExclusiveStartKey: { PK: tenant, SK: after },
          Limit: page.limit + 1,
        }),
      ),
      ddb.send(new GetCommand({ TableName: tableName, Key: keys.tenantMeta(tenant), ConsistentRead: true, ...projection('total') })),
    ]);
    items = Items;
    header = meta.Item;
  }
  const { shown, nextCursor } = pageOf(items, page.limit);
  return { items: shown, total: typeof header?.total === 'number' ? header.total : 0, nextCursor };
}

/**
 * The tenant header update that keeps `total` exact, written in the same transaction as the
 * change; when the change seals a value, it also checks that key version is still active.
 */
export function totalUpdate(tableName: string, tenant: string, delta: number, sealedUnder?: number) {
  return {
    TableName: tableName,
    Key: keys.tenantMeta(tenant),
    UpdateExpression: 'ADD #total :delta',
    ExpressionAttributeNames: { '#total': 'total' },
    ...(sealedUnder === undefined
      ? { ExpressionAttributeValues: { ':delta': delta } }
      : { ConditionExpression: ACTIVE_KEY_CONDITION, ExpressionAttributeValues: { ':delta': delta, ':kv': sealedUnder } }),
  };
}
