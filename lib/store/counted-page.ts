import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, pageOf } from './cursor.js';
import type { TableDeps } from './dynamodb.js';
import { projection } from './expressions.js';
import { itemKeys, prefixEnd, SK_META } from './keys.js';
import type { PageQuery } from './page-query.js';
import { parseRecord } from './records.js';
import { queryUpTo, type RecordShape } from './tenant-items.js';

export interface CountedPage<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
}

/**
 * One page of a tenant's items under a sort-key prefix, in key order, each validated, with the
 * exact `total` kept on the tenant's META item. The first page — most lists — is one strongly
 * consistent Query from META to the end of the prefix (nothing sorts between them, see
 * keys.ts); later pages are a Query and a GetItem of META, in parallel.
 */
export async function queryCountedPage<T>(
  { ddb, config }: TableDeps,
  tenant: string,
  prefix: string,
  page: PageQuery,
  shape: RecordShape<T>,
): Promise<CountedPage<T>> {
  const after = decodeCursor(page.cursor, prefix);
  const read = {
    TableName: config.tableName,
    ConsistentRead: true,
    ...(shape.attributes ? projection('SK', 'total', ...shape.attributes) : {}),
  };
  let items: Record<string, unknown>[];
  let header: Record<string, unknown> | undefined;
  if (after === undefined) {
    const Items = await queryUpTo(
      ddb,
      {
        ...read,
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :meta AND :end',
        ExpressionAttributeValues: { ':pk': tenant, ':meta': SK_META, ':end': prefixEnd(prefix) },
      },
      // The header, the page, and one extra item that tells whether another page exists.
      page.limit + 2,
    );
    // Stryker disable next-line ConditionalExpression: equivalent, a tenant with items always has its META, which sorts first
    header = Items[0]?.SK === SK_META ? Items[0] : undefined;
    items = header ? Items.slice(1) : Items;
  } else {
    const [Items, meta] = await Promise.all([
      queryUpTo(
        ddb,
        {
          ...read,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix },
          ExclusiveStartKey: { PK: tenant, SK: after },
        },
        page.limit + 1,
      ),
      ddb.send(
        new GetCommand({
          TableName: config.tableName,
          Key: itemKeys.tenantMeta(tenant),
          ConsistentRead: true,
          ...projection('total'),
        }),
      ),
    ]);
    items = Items;
    header = meta.Item;
  }
  const { shown, nextCursor } = pageOf(items, page.limit);
  return {
    items: shown.map((item) => parseRecord(shape.schema, item, shape.type)),
    total: typeof header?.total === 'number' ? header.total : 0,
    nextCursor,
  };
}
