import { parseArgs } from 'node:util';
import { loadDevIssuer } from './dev-issuer.js';
import { DEFAULT_DATA_DIR } from './stack.js';

/** `npm run --silent token -- --sub <user> [--scope secrets:inject] [--ttl 3600]`: prints a dev token and nothing else. */
const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    scope: { type: 'string', multiple: true },
    ttl: { type: 'string', default: '3600' },
  },
});
const ttlSeconds = Number(values.ttl);
if (!values.sub || !Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
  process.stderr.write('usage: npm run --silent token -- --sub <user> [--scope secrets:inject] [--ttl 3600]\n');
  process.exit(2);
}
const issuer = loadDevIssuer(process.env.DATA_DIR ?? DEFAULT_DATA_DIR);
process.stdout.write(`${await issuer.sign({ sub: values.sub, scope: values.scope?.join(' '), ttlSeconds })}\n`);
