import { readFileSync } from 'node:fs';
import { assertPortFree, PortInUseError } from '../../infra/local/ports.js';

/** Lowest port tried: clear of the well-known and registered services most machines run. */
const LOWEST = 10_000;

/**
 * A port that was free a moment ago, for servers (like DynamoDB Local) that cannot take port 0.
 * It lies below the kernel's ephemeral range: a port from that range, freed while a stack
 * restarts on it, can meanwhile become the local port of any outgoing connection.
 */
export async function freePort(): Promise<number> {
  const ephemeralStart = ephemeralRangeStart();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (ephemeralStart - LOWEST));
    if (await isFree(port)) return port;
  }
  throw new Error(`No free port between ${LOWEST} and ${ephemeralStart}`);
}

/** Where the kernel starts handing out local ports (Linux tells; 32768 is its default). */
function ephemeralRangeStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > LOWEST + 1000 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

/** Free on every interface, as Java binds it. */
async function isFree(port: number): Promise<boolean> {
  try {
    await assertPortFree(port, '0.0.0.0');
    return true;
  } catch (error) {
    if (error instanceof PortInUseError) return false;
    throw error;
  }
}
