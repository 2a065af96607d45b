import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { localDynamoDbClient } from '../../infra/local/dynamodb.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../infra/local/stack.js';
import { checkAgainstSpec } from './openapi-check.js';

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  rawBody?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface CallResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestStack extends LocalStack {
  token(sub: string, scope?: string, ttlSeconds?: number): Promise<string>;
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<CallResult<T>>;
  /** Every stored item of `tenant` whose sort key starts with `prefix`, read straight from the table. */
  items(tenant: string, prefix: string): Promise<Record<string, any>[]>;
}

/**
 * The local stack for one test file: its own table and KMS key file on the run's shared
 * DynamoDB Local, the real gateway on an ephemeral port, and the real handler modules.
 * `call` fails on any answer that docs/openapi.json does not describe (its status for that
 * operation, or a body its schema refuses), so the document cannot drift from the service.
 */
export async function startTestStack(
  options: Pick<LocalStackOptions, 'minClientVersion' | 'lambdaLimits' | 'changeEvents'> = {},
): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'secrets-stack-'));
  const stack = await startLocalStack({
    dataDir,
    port: 0,
    dynamoDbEndpoint: inject('dynamoDbEndpoint'),
    tableName: `test-${randomUUID()}`,
    // A stream poller per test file would load the shared DynamoDB Local; files about events ask for one.
    changeEvents: false,
    ...options,
  });
  const ddb = DynamoDBDocumentClient.from(localDynamoDbClient(stack.dynamoDbEndpoint));
  return {
    ...stack,
    stop: async () => {
      ddb.destroy();
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    items: async (tenant, prefix) => {
      const items: Record<string, any>[] = [];
      const pages = paginateQuery(
        { client: ddb },
        {
          TableName: stack.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': tenant, ':prefix': prefix },
        },
      );
      for await (const page of pages) items.push(...(page.Items ?? []));
      return items;
    },
    token: (sub, scope, ttlSeconds) => stack.issuer.sign({ sub, scope, ttlSeconds }),
    call: async (method, path, { token, body, rawBody, headers = {} } = {}) => {
      const sent: Record<string, string> = { ...headers };
      if (token) sent.authorization = `Bearer ${token}`;
      if (body !== undefined && !sent['content-type']) sent['content-type'] = 'application/json';
      const response = await fetch(`${stack.url}${path}`, {
        method,
        headers: sent,
        body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
      });
      const text = await response.text();
      // Every answer must be one the served OpenAPI document describes (docs/openapi.md).
      const drift = checkAgainstSpec(method, path, { status: response.status, headers: response.headers, text });
      if (drift.length) throw new Error(`The answer is not what docs/openapi.json describes:\n${drift.join('\n')}`);
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, body: parsed as never, text };
    },
  };
}
