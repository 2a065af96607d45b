import { parseArgs } from 'node:util';
import { loadDevIssuer } from './dev-issuer.js';
import { findRunningStack } from './running-stack.js';

/**
 * `npm run --silent token -- --sub <user> [--scope secrets:inject] [--ttl 3600]`: prints a dev
 * token and nothing else, signed with the key of the running stack (DATA_DIR's when given).
 */
const USAGE = 'usage: npm run --silent token -- --sub <user> [--scope secrets:inject] [--ttl 3600]';
let values: { sub?: string; scope?: string[]; ttl: string };
try {
  ({ values } = parseArgs({
    options: {
      sub: { type: 'string' },
      scope: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '3600' },
    },
  }));
} catch {
  exitWith(2, USAGE);
}
const ttlSeconds = Number(values.ttl);
if (!values.sub || !Number.isInteger(ttlSeconds) || ttlSeconds <= 0) exitWith(2, USAGE);

// An explicit DATA_DIR signs for that directory even before its stack starts.
let dataDir = process.env.DATA_DIR;
if (!dataDir) {
  const stack = findRunningStack();
  if ('notRunning' in stack) exitWith(1, stack.notRunning);
  dataDir = stack.dataDir;
}
const issuer = loadDevIssuer(dataDir);
process.stdout.write(`${await issuer.sign({ sub: values.sub, scope: values.scope?.join(' '), ttlSeconds })}\n`);

function exitWith(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
