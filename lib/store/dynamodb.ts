import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.js';

/** What every store operation needs: the document client and the table's name. */
export interface TableDeps {
  ddb: DynamoDBDocumentClient;
  config: Pick<Config, 'tableName'>;
}

/** A document client for the configured table; create once per process and reuse. */
export function createDocumentClient(config: Config): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.region,
    endpoint: config.dynamoDbEndpoint,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1000, requestTimeout: config.upstreamTimeoutMs },
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
