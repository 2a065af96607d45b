// One cold start, in the fresh Node process this file is run in: import a bundle (Lambda's
// INIT phase), then, when an event file is given, serve that one event. Prints timings as JSON.
// Plain JavaScript so that nothing but the bundle itself is loaded before the clock starts.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundle, eventFile] = process.argv.slice(2);
const started = performance.now();
const module = await import(pathToFileURL(bundle).href);
const imported = performance.now();
let status;
if (eventFile) {
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  const result = await module.handler(event, {
    functionName: 'bench',
    awsRequestId: 'cold-start',
    getRemainingTimeInMillis: () => 10_000,
  });
  status = result.statusCode;
}
process.stdout.write(JSON.stringify({ importMs: imported - started, eventMs: performance.now() - imported, status }));
// Writes to a pipe are synchronous on Linux; leave without waiting for idle keep-alive sockets.
process.exit(0);
