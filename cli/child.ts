import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { err } from './io.js';

/** Signals `secrets run` passes on to its child (a terminal's Ctrl-C reaches both anyway). */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * Runs COMMAND with `env` and the CLI's stdio, forwards signals to it, and ends the way it
 * ended: with its exit code, or killed by the same signal (so a shell sees 128+n and a
 * supervisor sees the signal). Resolves with the code to exit with; for a signal that cannot
 * kill this process, 128+n.
 */
export function runChild(command: string[], env: NodeJS.ProcessEnv, afterSpawn?: () => void): Promise<number> {
  return new Promise((resolve) => {
    const [file, ...args] = command;
    const child = spawn(file!, args, { stdio: 'inherit', env });
    const forwarders = FORWARDED.map((signal) => {
      const forward = () => {
        child.kill(signal);
      };
      process.on(signal, forward);
      return [signal, forward] as const;
    });
    const stopForwarding = () => {
      for (const [signal, forward] of forwarders) process.off(signal, forward);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      stopForwarding();
      const notFound = error.code === 'ENOENT';
      err(`secrets: cannot run ${file}: ${notFound ? 'command not found' : (error.code ?? error.message)}`);
      resolve(notFound ? 127 : 126);
    });
    child.on('exit', (code, signal) => {
      stopForwarding();
      if (signal) {
        const number = constants.signals[signal] ?? 0;
        // Without our listeners the default action applies: this process dies by the same signal.
        process.kill(process.pid, signal);
        setTimeout(() => resolve(128 + number), 50).unref();
        return;
      }
      resolve(code ?? 1);
    });
    if (child.pid !== undefined) afterSpawn?.();
  });
}
