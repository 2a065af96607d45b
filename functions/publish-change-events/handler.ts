import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { loadConfig } from '../../lib/config.js';
import { eventBridgeSink, handleChangeStream } from '../../lib/events/publish.js';

/** DynamoDB stream target: publishes the table's committed changes to the service's event bus. */
const { region, eventBusName } = loadConfig();
const sink = eventBridgeSink(new EventBridgeClient({ region, maxAttempts: 3 }), eventBusName);

export const handler = (event: unknown) => handleChangeStream(sink, event);
