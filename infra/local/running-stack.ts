import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import { isAlive, type ProcessRef } from './processes.js';

/**
 * Where a running local stack can be reached, recorded twice: in its data directory
 * (`local-endpoints.json`, for tools given DATA_DIR) and, by `npm start`, at one fixed place
 * per checkout, so `npm run token` and `npm run rotate` find it without repeating DATA_DIR.
 * Both are removed on a clean stop; a record whose process has died means "not running".
 */
export const ENDPOINTS_FILE = 'local-endpoints.json';

export interface LocalEndpoints {
  dynamoDbEndpoint: string;
  kmsEndpoint: string;
  tableName: string;
  url: string;
}

export interface RunningStack extends LocalEndpoints {
  dataDir: string;
  process: ProcessRef;
}

/** The checkout's record, beside the default data directory (git-ignored); tests point elsewhere. */
export function checkoutRecordFile(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.RUNNING_STACK_FILE ?? join(PROJECT_ROOT, '.data', 'running-stack.json'));
}

export function readRecord(file: string): RunningStack | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunningStack>;
    return typeof record.process?.pid === 'number' && typeof record.dataDir === 'string'
      ? (record as RunningStack)
      : undefined;
  } catch {
    return undefined;
  }
}

export function writeRecord(file: string, stack: RunningStack): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(stack, null, 2)}\n`);
}

/** Removes the record only if it is still `owner`'s: another stack may have taken the place since. */
export function removeRecord(file: string, owner: ProcessRef): void {
  if (readRecord(file)?.process.pid === owner.pid) rmSync(file, { force: true });
}

/** The live stack recorded in `file`, if any. */
export function liveRecord(file: string): RunningStack | undefined {
  const record = readRecord(file);
  return record && isAlive(record.process) ? record : undefined;
}

/**
 * The stack local tools talk to: the one running from DATA_DIR when that is given, else the
 * one `npm start` recorded for this checkout; or, when there is none, why, in one line.
 */
export function findRunningStack(env: NodeJS.ProcessEnv = process.env): RunningStack | { notRunning: string } {
  const file = env.DATA_DIR ? join(resolve(env.DATA_DIR), ENDPOINTS_FILE) : checkoutRecordFile(env);
  const record = readRecord(file);
  const start = env.DATA_DIR ? `DATA_DIR=${env.DATA_DIR} npm start` : 'npm start';
  if (!record) return { notRunning: `The local stack is not running: start it with \`${start}\` first.` };
  if (!isAlive(record.process)) {
    return {
      notRunning: `The local stack is not running (its process ${record.process.pid} has exited): start it with \`${start}\`.`,
    };
  }
  return record;
}
