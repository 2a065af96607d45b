import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The parent's handle on the service under test, which runs in a child process (bench/target.ts)
 * so the load generator never shares its event loop. Talks to it over the IPC channel.
 */
export interface TargetOptions {
  dataDir: string;
  dynamoDbEndpoint: string;
  tableName: string;
}

/** Work the service did since the last reset, counted at the KMS endpoint and at its DynamoDB client. */
export interface Counters {
  kms: Record<string, number>;
  dynamodb: {
    calls: Record<string, number>;
    /** Read and write request units as AWS would bill them. */
    readUnits: number;
    writeUnits: number;
  };
}

export type TargetRequest =
  | { op: 'counters'; reset: boolean }
  | { op: 'units'; on: boolean }
  | { op: 'warm'; subs: string[] }
  | { op: 'stop' };

export type TargetMessage =
  | { ready: { url: string; floorUrl: string; kmsEndpoint: string } }
  | { id: number; result?: unknown; error?: string };

export interface TargetProcess {
  /** The local gateway with the real handlers. */
  url: string;
  /** The floor server on the same DynamoDB client. */
  floorUrl: string;
  kmsEndpoint: string;
  counters(options?: { reset?: boolean }): Promise<Counters>;
  /** Has DynamoDB report consumed capacity with every call (adds work, so off during timed runs). */
  measureUnits(on: boolean): Promise<void>;
  /** Loads these users' data keys into the service's key cache. */
  warm(subs: string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startTarget(options: TargetOptions): Promise<TargetProcess> {
  // fork keeps the parent's exec arguments, so the child runs TypeScript through tsx as well.
  const child = fork(fileURLToPath(new URL('./target.ts', import.meta.url)), [], {
    env: { ...process.env, BENCH_TARGET: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code) => {
    for (const { reject } of pending.values()) reject(new Error(`The service process exited (${code})`));
    pending.clear();
  });

  const ready = await new Promise<{ url: string; floorUrl: string; kmsEndpoint: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`The service process exited at start (${code})`)));
    child.on('message', (message: TargetMessage) => {
      if ('ready' in message) return resolve(message.ready);
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result);
    });
  }).catch(async (error: unknown) => {
    await stopChild(child, exited);
    throw error;
  });

  const request = (message: TargetRequest) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, ...message });
    });

  return {
    ...ready,
    counters: async ({ reset = false } = {}) => (await request({ op: 'counters', reset })) as Counters,
    measureUnits: async (on) => void (await request({ op: 'units', on })),
    warm: async (subs) => void (await request({ op: 'warm', subs })),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await request({ op: 'stop' }).catch(() => undefined);
      await stopChild(child, exited);
    },
  };
}

/** Waits for the child to leave on its own; kills it if it does not within 10 s. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  child.disconnect?.();
  await exited;
  clearTimeout(timer);
}
