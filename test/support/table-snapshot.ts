import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { localDynamoDbClient } from '../../infra/local/dynamodb.js';

/**
 * What a tenant holds, read straight from the table: every item of the partition except
 * audit events (which successful plaintext reads add, and which expire), as canonical JSON
 * keyed by sort key. Two snapshots are equal exactly when nothing the service stores changed.
 */
export type TenantSnapshot = Map<string, string>;

export interface TableReader {
  /** One snapshot per tenant, read in parallel. */
  snapshot(tenants: readonly string[]): Promise<Map<string, TenantSnapshot>>;
  /** Sort keys that differ between two snapshots of the same tenants (`PK SK: what`). */
  diff(before: Map<string, TenantSnapshot>, after: Map<string, TenantSnapshot>): string[];
  close(): void;
}

export function tableReader(stack: { dynamoDbEndpoint: string; tableName: string }): TableReader {
  const ddb = DynamoDBDocumentClient.from(localDynamoDbClient(stack.dynamoDbEndpoint));

  async function tenantSnapshot(tenant: string): Promise<TenantSnapshot> {
    const items = new Map<string, string>();
    const pages = paginateQuery(
      { client: ddb },
      {
        TableName: stack.tableName,
        ConsistentRead: true,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': tenant },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const sk = String(item.SK);
        if (sk.startsWith('AUDIT#')) continue;
        items.set(sk, canonical(item));
      }
    }
    return items;
  }

  return {
    snapshot: async (tenants) => {
      const unique = [...new Set(tenants)];
      const snapshots = await Promise.all(unique.map(tenantSnapshot));
      return new Map(unique.map((tenant, i) => [tenant, snapshots[i]!]));
    },
    diff: (before, after) => {
      const changes: string[] = [];
      for (const [tenant, items] of after) {
        const earlier = before.get(tenant) ?? new Map<string, string>();
        for (const [sk, item] of items) {
          if (!earlier.has(sk)) changes.push(`${tenant} ${sk}: added`);
          else if (earlier.get(sk) !== item) changes.push(`${tenant} ${sk}: changed`);
        }
        for (const sk of earlier.keys()) if (!items.has(sk)) changes.push(`${tenant} ${sk}: removed`);
      }
      return changes;
    },
    close: () => ddb.destroy(),
  };
}

/** JSON with sorted keys and binary as base64, so equal items always give equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner instanceof Uint8Array) return `b64:${Buffer.from(inner).toString('base64')}`;
    if (inner instanceof Set) return [...inner].sort();
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      const entries = Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
      return Object.fromEntries(entries);
    }
    return inner;
  });
}
