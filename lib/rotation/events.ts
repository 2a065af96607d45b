import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

/** What rotation tells the outside world: ids, versions and counts — never a value. */
export type RotationEvent =
  | {
      type: 'TenantKeyRotated';
      detail: { tenant: string; fromVersion: number; toVersion: number; reencrypted: number; secrets: number };
    }
  | {
      type: 'SecretRotated';
      detail: { tenant: string; recordId: string; keyVersion: number };
    }
  | {
      type: 'SecretRotationDue';
      detail: { tenant: string; recordId: string; name: string; updatedAt: string; ageDays: number };
    }
  | {
      type: 'DataKeysRewrapped';
      detail: { tenant: string; rewrapped: number; kmsKeyId: string };
    };

export interface EventPublisher {
  publish(events: RotationEvent[]): Promise<void>;
}

export const EVENT_SOURCE = 'secrets.rotation';
const PUT_EVENTS_BATCH = 10;

export function eventBridgePublisher(client: EventBridgeClient, eventBusName: string): EventPublisher {
  return {
    publish: async (events) => {
      for (let start = 0; start < events.length; start += PUT_EVENTS_BATCH) {
        const batch = events.slice(start, start + PUT_EVENTS_BATCH);
        const result = await client.send(
          new PutEventsCommand({
            Entries: batch.map((event) => ({
              EventBusName: eventBusName,
              Source: EVENT_SOURCE,
              DetailType: event.type,
              Detail: JSON.stringify(event.detail),
            })),
          }),
        );
        if (result.FailedEntryCount) throw new Error(`EventBridge rejected ${result.FailedEntryCount} rotation events`);
      }
    },
  };
}
