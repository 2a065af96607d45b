import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import { ROUTES } from '../routes.js';
import { type DevIssuer, loadDevIssuer } from './dev-issuer.js';
import { ensureTable, LOCAL_CREDENTIALS, startDynamoDbLocal } from './dynamodb.js';
import { type LAMBDA_LIMITS, startGateway } from './gateway.js';
import { DEFAULT_KEY_ALIAS, type LocalKms, startLocalKms } from './kms-server.js';

/**
 * The embedded local default: DynamoDB Local (data on disk), a local KMS endpoint and the
 * gateway, wired through the same environment variables the Lambda functions read in AWS.
 */
export const DEFAULT_DATA_DIR = join(PROJECT_ROOT, '.data');

export const ENDPOINTS_FILE = 'local-endpoints.json';

export interface LocalEndpoints {
  dynamoDbEndpoint: string;
  kmsEndpoint: string;
  tableName: string;
  url: string;
}

/** The environment under which service code talks to a local stack, exactly as in Lambda. */
export function localServiceEnv(endpoints: Omit<LocalEndpoints, 'url'>): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    TABLE_NAME: endpoints.tableName,
    DYNAMODB_ENDPOINT: endpoints.dynamoDbEndpoint,
    KMS_ENDPOINT: endpoints.kmsEndpoint,
    KMS_KEY_ID: DEFAULT_KEY_ALIAS,
  };
}

export interface LocalStackOptions {
  dataDir?: string;
  /** Gateway port; 0 picks a free one. */
  port?: number;
  dynamoDbPort?: number;
  kmsPort?: number;
  /** Use an already running DynamoDB-compatible endpoint instead of starting one. */
  dynamoDbEndpoint?: string;
  tableName?: string;
  minClientVersion?: string;
  /** Lambda's payload and timeout limits as the gateway applies them (tests lower them). */
  lambdaLimits?: typeof LAMBDA_LIMITS;
}

export interface LocalStack {
  url: string;
  dataDir: string;
  tableName: string;
  dynamoDbEndpoint: string;
  kms: LocalKms;
  issuer: DevIssuer;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const tableName = options.tableName ?? 'secrets-service';
  const dynamo = options.dynamoDbEndpoint
    ? undefined
    : await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb'), port: options.dynamoDbPort ?? 8000 });
  const dynamoDbEndpoint = options.dynamoDbEndpoint ?? dynamo!.endpoint;
  const stops: (() => Promise<void>)[] = dynamo ? [dynamo.stop] : [];
  try {
    await ensureTable(dynamoDbEndpoint, tableName);
    const kms = await startLocalKms({ keyFile: join(dataDir, 'kms', 'master-keys.json'), port: options.kmsPort ?? 0 });
    stops.unshift(kms.close);

    // The handler modules read these at import, exactly as they read their Lambda environment.
    Object.assign(process.env, {
      ...localServiceEnv({ tableName, dynamoDbEndpoint, kmsEndpoint: kms.endpoint }),
      MIN_CLIENT_VERSION: options.minClientVersion ?? process.env.MIN_CLIENT_VERSION ?? '1.0.0',
    });
    const issuer = loadDevIssuer(dataDir);
    const gateway = await startGateway({
      routes: ROUTES,
      issuer,
      port: options.port ?? 3000,
      limits: options.lambdaLimits,
    });
    stops.unshift(gateway.close);
    // Lets local tools (such as `npm run rotate`) reach this running stack.
    const endpoints: LocalEndpoints = { dynamoDbEndpoint, kmsEndpoint: kms.endpoint, tableName, url: gateway.url };
    writeFileSync(join(dataDir, ENDPOINTS_FILE), JSON.stringify(endpoints));
    return { url: gateway.url, dataDir, tableName, dynamoDbEndpoint, kms, issuer, stop: () => stopAll(stops) };
  } catch (error) {
    await stopAll(stops);
    throw error;
  }
}

async function stopAll(stops: (() => Promise<void>)[]): Promise<void> {
  for (const stop of stops) await stop().catch(() => undefined);
}
