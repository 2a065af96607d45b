import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import { SERVED_ROUTES } from '../routes.js';
import { EVENTS_FILE, startChangeStream } from './change-stream.js';
import { type DevIssuer, loadDevIssuer } from './dev-issuer.js';
import { checkJava, ensureTable, LOCAL_CREDENTIALS, startDynamoDbLocal } from './dynamodb.js';
import { type LAMBDA_LIMITS, startGateway } from './gateway.js';
import { DEFAULT_KEY_ALIAS, type LocalKms, startLocalKms } from './kms-server.js';
import { assertPortFree } from './ports.js';
import { currentProcess } from './processes.js';
import {
  ENDPOINTS_FILE,
  type LocalEndpoints,
  liveRecord,
  type RunningStack,
  removeRecord,
  writeRecord,
} from './running-stack.js';

/**
 * The embedded local default: DynamoDB Local (data on disk), a local KMS endpoint and the
 * gateway, wired through the same environment variables the Lambda functions read in AWS.
 */
export const DEFAULT_DATA_DIR = join(PROJECT_ROOT, '.data');

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
  /**
   * Give the table its stream and read it into `<dataDir>/events.jsonl` (default on). Test
   * stacks that do not look at events leave both off: DynamoDB Local's stream slows every write,
   * and dozens of pollers on one shared DynamoDB Local slow it further.
   */
  changeEvents?: boolean;
}

export interface LocalStack {
  url: string;
  dataDir: string;
  tableName: string;
  dynamoDbEndpoint: string;
  kms: LocalKms;
  issuer: DevIssuer;
  /** What local tools read to reach this stack (also written to the data directory). */
  record: RunningStack;
  /** Where the table's change events are appended, one JSON line each (change-stream.ts). */
  eventsFile: string;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const tableName = options.tableName ?? 'secrets-service';
  const endpointsFile = join(dataDir, ENDPOINTS_FILE);
  const running = liveRecord(endpointsFile);
  if (running) {
    throw new Error(
      `The local stack is already running from ${dataDir} on ${running.url} (process ${running.process.pid}); stop it first`,
    );
  }
  // Checked before DynamoDB Local's slow start, so a missing Java or a busy port fails at once.
  if (!options.dynamoDbEndpoint) checkJava();
  await assertPortFree(options.port ?? 3000, '127.0.0.1');
  await assertPortFree(options.kmsPort ?? 0, '127.0.0.1');
  const dynamo = options.dynamoDbEndpoint
    ? undefined
    : await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb'), port: options.dynamoDbPort ?? 8000 });
  const dynamoDbEndpoint = options.dynamoDbEndpoint ?? dynamo!.endpoint;
  const stops: (() => Promise<void>)[] = dynamo ? [dynamo.stop] : [];
  try {
    // DynamoDB Local's stream slows every write; a stack that does not read it does without.
    await ensureTable(dynamoDbEndpoint, tableName, { stream: options.changeEvents ?? true });
    // Stopped after the gateway, so the changes of the last requests still get their events.
    if (options.changeEvents ?? true) {
      const changes = await startChangeStream({ dynamoDbEndpoint, tableName, dataDir });
      stops.unshift(changes.stop);
    }
    const kms = await startLocalKms({ keyFile: join(dataDir, 'kms', 'master-keys.json'), port: options.kmsPort ?? 0 });
    stops.unshift(kms.close);

    // The handler modules read these at import, exactly as they read their Lambda environment.
    Object.assign(process.env, {
      ...localServiceEnv({ tableName, dynamoDbEndpoint, kmsEndpoint: kms.endpoint }),
      MIN_CLIENT_VERSION: options.minClientVersion ?? process.env.MIN_CLIENT_VERSION ?? '1.0.0',
    });
    const issuer = loadDevIssuer(dataDir);
    const gateway = await startGateway({
      routes: SERVED_ROUTES,
      issuer,
      port: options.port ?? 3000,
      limits: options.lambdaLimits,
    });
    stops.unshift(gateway.close);
    const record: RunningStack = {
      dynamoDbEndpoint,
      kmsEndpoint: kms.endpoint,
      tableName,
      url: gateway.url,
      dataDir,
      process: currentProcess(),
    };
    // Lets local tools (such as `npm run rotate`) reach this running stack; first to go at stop.
    writeRecord(endpointsFile, record);
    stops.unshift(async () => removeRecord(endpointsFile, record.process));
    return {
      url: gateway.url,
      dataDir,
      tableName,
      dynamoDbEndpoint,
      kms,
      issuer,
      record,
      eventsFile: join(dataDir, EVENTS_FILE),
      stop: () => stopAll(stops),
    };
  } catch (error) {
    await stopAll(stops);
    throw error;
  }
}

async function stopAll(stops: (() => Promise<void>)[]): Promise<void> {
  for (const stop of stops) await stop().catch(() => undefined);
}
