import { open, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ChangeEventLine, EVENTS_FILE } from './change-stream.js';
import { DEFAULT_DATA_DIR } from './stack.js';

/**
 * `npm run events [-- --json] [-- --follow]`: the local stack's change events
 * (`<DATA_DIR>/events.jsonl`, default `.data`), one line each; `--json` prints the stored lines
 * as they are, `--follow` keeps printing new ones as they come, like `tail -f`.
 */
const USAGE = 'usage: [DATA_DIR=<dir>] npm run events [-- --json] [-- --follow]';
let values: { json: boolean; follow: boolean };
try {
  ({ values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, follow: { type: 'boolean', default: false } },
  }));
} catch {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const FOLLOW_POLL_MS = 200;
const file = join(resolve(process.env.DATA_DIR ?? DEFAULT_DATA_DIR), EVENTS_FILE);
// `npm run events | head` closes the pipe early; that is the reader being done, not an error.
process.stdout.on('error', () => process.exit(0));

let offset = 0;
/** Bytes after the last newline: a line still being written, kept as bytes so no character is split. */
let partial = Buffer.alloc(0);
let lineNumber = 0;
let waitingNoted = false;
for (;;) {
  const size = await sizeOf(file);
  if (size === undefined && !waitingNoted) {
    process.stderr.write(`No events yet: ${file} does not exist${values.follow ? '; waiting for it' : ''}\n`);
    waitingNoted = true;
  }
  // A smaller file was replaced or emptied: read it again from its start.
  if (size !== undefined && size < offset) [offset, partial] = [0, Buffer.alloc(0)];
  if (size !== undefined && size > offset) {
    const read = await readFrom(file, offset, size);
    offset += read.length;
    const bytes = Buffer.concat([partial, read]);
    const end = bytes.lastIndexOf(0x0a) + 1;
    partial = bytes.subarray(end);
    for (const line of bytes.subarray(0, end).toString('utf8').split('\n').slice(0, -1)) print(line);
  }
  if (!values.follow) break;
  await sleep(FOLLOW_POLL_MS);
}

function print(line: string): void {
  lineNumber++;
  if (line.trim() === '') return;
  if (values.json) {
    process.stdout.write(`${line}\n`);
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    json = undefined;
  }
  const parsed = ChangeEventLine.safeParse(json);
  if (!parsed.success) {
    process.stderr.write(`line ${lineNumber} of ${file} is not a change event; skipped\n`);
    return;
  }
  process.stdout.write(`${readable(parsed.data)}\n`);
}

/** `<at>  <detail-type> <action> <tenant>  <what> <version>  by <actor>  request <id>`. */
function readable(event: ChangeEventLine): string {
  const what = [
    event.key !== undefined && `key=${event.key}`,
    event.name !== undefined && `name=${event.name}`,
    event.secretId !== undefined && `secret=${event.secretId}`,
    event.userId !== undefined && `user=${event.userId}`,
    event.tokenId !== undefined && `token=${event.tokenId}`,
    event.version !== undefined && `v${event.version}`,
  ].filter(Boolean);
  return [
    event.at,
    event.detailType.padEnd(18),
    event.action.padEnd(19),
    event.tenant,
    ...(what.length > 0 ? [what.join(' ')] : []),
    `by ${event.actor}`,
    `request ${event.requestId}`,
  ].join('  ');
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

async function readFrom(path: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
