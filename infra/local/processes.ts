import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Processes the local stack records in files and finds again at a later start: a pid alone
 * could by then name another process (pids are reused, from 1 again after a reboot), so a
 * record also keeps the process's start time where Linux tells it.
 */
export interface ProcessRef {
  pid: number;
  /** Clock ticks after boot (field 22 of /proc/<pid>/stat); absent where there is no /proc. */
  startTime?: string;
}

const HAS_PROC = existsSync('/proc/self/stat');

export function processRef(pid: number): ProcessRef {
  return { pid, startTime: procStat(pid)?.startTime };
}

export function currentProcess(): ProcessRef {
  return processRef(process.pid);
}

/** Whether the recorded process still runs (a zombie does not). */
export function isAlive(ref: ProcessRef): boolean {
  if (!HAS_PROC) {
    try {
      process.kill(ref.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  const stat = procStat(ref.pid);
  return stat !== undefined && stat.state !== 'Z' && (ref.startTime === undefined || stat.startTime === ref.startTime);
}

/** The arguments a live process was started with, or undefined (gone, a zombie, or no /proc). */
export function commandLine(pid: number): string[] | undefined {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return args.length > 0 ? args : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The ancestors in this process's job (its process group): for `npm start` that is tsx, `sh -c`
 * and npm, but not the shell it was typed in. Nearest first; where there is no /proc, the parent.
 */
export function jobAncestors(): ProcessRef[] {
  const job = procStat(process.pid)?.processGroup;
  if (job === undefined) return [processRef(process.ppid)];
  const chain: ProcessRef[] = [];
  let pid = process.ppid;
  for (let stat = procStat(pid); stat?.processGroup === job; stat = procStat(pid)) {
    chain.push({ pid, startTime: stat.startTime });
    pid = stat.parentPid;
  }
  return chain;
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`; resolves once it is gone. */
export async function stopProcess(ref: ProcessRef, graceMs = 5000): Promise<void> {
  for (const [signal, waitMs] of [
    ['SIGTERM', graceMs],
    ['SIGKILL', 2000],
  ] as const) {
    try {
      process.kill(ref.pid, signal);
    } catch {
      return;
    }
    for (let waited = 0; waited < waitMs; waited += 50) {
      if (!isAlive(ref)) return;
      await sleep(50);
    }
  }
}

function procStat(
  pid: number,
): { state: string; parentPid: number; processGroup: number; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces; the fields after it are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, parentPid: Number(fields[1]), processGroup: Number(fields[2]), startTime: fields[19]! };
  } catch {
    return undefined;
  }
}
