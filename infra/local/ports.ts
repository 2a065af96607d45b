import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

/** A port some other process holds; `npm start` names the setting to change. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`Port ${port} is in use`);
    this.name = 'PortInUseError';
  }
}

/**
 * Fails with PortInUseError unless `port` can be bound on `host` right now. Binding is the
 * only true test: a process may hold the port without answering, or answer as if it were ours.
 */
export async function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error),
    );
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * Whether process `pid` holds the listening TCP socket on `port`, from /proc (Linux); undefined
 * where that cannot be told. This is what tells our DynamoDB Local from another one that
 * answers on the same port.
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  const tables = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) => {
    try {
      return [readFileSync(file, 'utf8')];
    } catch {
      return [];
    }
  });
  if (tables.length === 0) return undefined;
  const listening = new Set<string>();
  for (const line of tables.flatMap((table) => table.split('\n').slice(1))) {
    // sl local_address rem_address st … inode: the state 0A is LISTEN, the port is hex.
    const fields = line.trim().split(/\s+/);
    if (fields[3] === '0A' && Number.parseInt(fields[1]?.split(':')[1] ?? '', 16) === port) {
      listening.add(`socket:[${fields[9]}]`);
    }
  }
  if (listening.size === 0) return false;
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return listening.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
