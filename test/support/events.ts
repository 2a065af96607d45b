import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChangeEventLine, EVENTS_FILE } from '../../infra/local/change-stream.js';

/**
 * The change events a local stack has written (`<dataDir>/events.jsonl`), each line checked
 * against its strict schema, so a line with any field besides the allowed ones fails the test.
 */
export function readEvents(dataDir: string): ChangeEventLine[] {
  let text: string;
  try {
    text = readFileSync(join(dataDir, EVENTS_FILE), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line, index) => {
      const parsed = ChangeEventLine.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`events.jsonl line ${index + 1} is not a change event: ${parsed.error}`);
      return parsed.data;
    });
}

/**
 * Polls the events until `done` holds for them, and returns them; fails after `timeoutMs`
 * naming what had arrived. For "no event for X", wait for an event committed after X: the
 * local stream is one shard, read in commit order, so once it is there, X's would be too.
 */
export async function waitForEvents(
  dataDir: string,
  done: (events: ChangeEventLine[]) => boolean,
  timeoutMs = 10_000,
): Promise<ChangeEventLine[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const events = readEvents(dataDir);
    if (done(events)) return events;
    if (performance.now() > deadline) {
      const seen = events.map((event) => `${event.action} ${event.id}`).join(', ') || 'none';
      throw new Error(`Change events not as expected after ${timeoutMs} ms; seen: ${seen}`);
    }
    await sleep(50);
  }
}

/** Waits until every id in `ids` has an event; returns all events. */
export const waitForEventIds = (dataDir: string, ids: readonly string[], timeoutMs?: number) =>
  waitForEvents(dataDir, (events) => ids.every((id) => events.some((event) => event.id === id)), timeoutMs);
