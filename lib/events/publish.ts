import { PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import * as z from 'zod/mini';
import { describeError, logger } from '../log.js';
import { CHANGE_EVENT_SOURCE, type ChangeEvent, ChangeStreamRecord, classifyRecord } from './change-events.js';

/** Where change events go: EventBridge in AWS, a JSON-lines file on the local stack. */
export interface ChangeEventSink {
  /**
   * Sends at most PUT_EVENTS_BATCH events at once. Answers the positions of those not accepted;
   * throws when it cannot tell (then none counts as sent).
   */
  put(events: readonly ChangeEvent[]): Promise<number[]>;
}

/** EventBridge takes at most 10 entries per PutEvents. */
export const PUT_EVENTS_BATCH = 10;

const log = logger.child({ component: 'change-events' });

export interface PublishOutcome {
  published: number;
  /** The position of the first record not published; it and every record after it must be retried. */
  failedFrom?: number;
}

/**
 * Publishes the change events among stream records, in stream order. A malformed audit item is
 * logged and passed over: retrying it would never succeed and would hold up every change after
 * it. On the first event the sink does not take, it stops; the caller retries from that
 * record, so an event can be sent twice (consumers dedupe by `id`) but never skipped.
 */
export async function publishChangeRecords(
  sink: ChangeEventSink,
  records: readonly ChangeStreamRecord[],
): Promise<PublishOutcome> {
  const pending: { position: number; event: ChangeEvent }[] = [];
  for (const [position, record] of records.entries()) {
    const classified = classifyRecord(record);
    if (classified.kind === 'event') pending.push({ position, event: classified.event });
    if (classified.kind === 'malformed') {
      log.error('malformed audit item in the table stream, skipped', {
        sequenceNumber: record.dynamodb?.SequenceNumber,
        fields: classified.fields,
      });
    }
  }
  for (let start = 0; start < pending.length; start += PUT_EVENTS_BATCH) {
    const batch = pending.slice(start, start + PUT_EVENTS_BATCH);
    let rejected: number[];
    try {
      rejected = await sink.put(batch.map(({ event }) => event));
    } catch (error) {
      log.warn('change events not sent; the batch is retried', { events: batch.length, ...describeError(error) });
      return { published: start, failedFrom: batch[0]!.position };
    }
    if (rejected.length > 0) {
      const first = Math.min(...rejected);
      log.warn('change events rejected; the batch is retried from the first', { rejected: rejected.length });
      return { published: start + first, failedFrom: batch[first]!.position };
    }
  }
  return { published: pending.length };
}

/** Lambda's DynamoDB event, as far as the publisher reads it. */
const StreamEvent = z.object({ Records: z.array(ChangeStreamRecord) });

/** Lambda's partial batch response (`ReportBatchItemFailures`). */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * The publisher function's handler body. Failed records are reported by sequence number, the
 * first failed one and all after it, so Lambda retries from there (and, past its retries,
 * sends the batch to the on-failure queue). An event it cannot read fails the whole batch.
 */
export async function handleChangeStream(sink: ChangeEventSink, event: unknown): Promise<BatchResponse> {
  const parsed = StreamEvent.safeParse(event);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(event)');
    log.error('unreadable stream event', { fields });
    throw new Error(`Unreadable stream event at: ${fields.join(', ')}`);
  }
  const { Records: records } = parsed.data;
  const { failedFrom } = await publishChangeRecords(sink, records);
  if (failedFrom === undefined) return { batchItemFailures: [] };
  const failed = records.slice(failedFrom).map((record) => record.dynamodb?.SequenceNumber);
  // Without a sequence number Lambda cannot resume mid-batch; failing it whole is the safe answer.
  if (failed.some((sequenceNumber) => sequenceNumber === undefined)) {
    throw new Error('A failed stream record has no sequence number');
  }
  return { batchItemFailures: (failed as string[]).map((itemIdentifier) => ({ itemIdentifier })) };
}

/** What the EventBridge sink calls; an `EventBridgeClient` is one. */
export interface PutEventsClient {
  send(command: PutEventsCommand): Promise<PutEventsCommandOutput>;
}

/** Sends change events to an EventBridge bus; a rejected entry is reported by its position. */
export function eventBridgeSink(client: PutEventsClient, eventBusName: string): ChangeEventSink {
  return {
    put: async (events) => {
      const result = await client.send(
        new PutEventsCommand({
          Entries: events.map((event) => ({
            EventBusName: eventBusName,
            Source: CHANGE_EVENT_SOURCE,
            DetailType: event.detailType,
            Detail: JSON.stringify(event.detail),
          })),
        }),
      );
      if (!result.FailedEntryCount) return [];
      const entries = result.Entries ?? [];
      // An answer that does not say which entries failed counts as all of them failing.
      if (entries.length !== events.length) return events.map((_, position) => position);
      return entries.flatMap((entry, position) => (entry.ErrorCode ? [position] : []));
    },
  };
}
