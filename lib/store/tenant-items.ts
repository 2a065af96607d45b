import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod/mini';
import { parseRecord } from './records.js';
import { projection } from './expressions.js';

/**
 * Every item of a tenant under a sort-key prefix, all pages, strongly consistent, each
 * validated as it is read back. For whole-tenant reads: inject, rotation sweeps, re-wraps.
 */
export async function readTenantItems<T>(
  { ddb, tableName }: { ddb: DynamoDBDocumentClient; tableName: string },
  tenant: string,
  prefix: string,
  record: { schema: z.ZodMiniType<T>; type: string; attributes?: string[] },
  pageSize?: number,
): Promise<T[]> {
  const items: T[] = [];
  const pages = paginateQuery(
    { client: ddb, pageSize },
    {
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix },
      ConsistentRead: true,
      ...(record.attributes ? projection(...record.attributes) : {}),
    },
  );
  // Stryker disable next-line ArrayDeclaration: equivalent, a Query answer always holds Items
  for await (const page of pages) for (const item of page.Items ?? []) items.push(parseRecord(record.schema, item, record.type));
  return items;
}
