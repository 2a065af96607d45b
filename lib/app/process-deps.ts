import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KMSClient } from '@aws-sdk/client-kms';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createKeyring } from '../crypto/keyring.js';
import { createKmsClient } from '../crypto/kms.js';
import { type EventPublisher, eventBridgePublisher } from '../rotation/events.js';
import type { RotationDeps } from '../rotation/rotate-tenant.js';
import { createDocumentClient } from '../store/dynamodb.js';
import type { StoreDeps, ValueDeps } from './deps.js';

/**
 * Process-wide dependencies, built once from the environment on first use and shared by
 * every invocation (and, on the local gateway, by every route). Routes that only touch
 * metadata ask for `storeDeps` and never load KMS.
 */
let store: StoreDeps | undefined;
let values: (ValueDeps & { kms: KMSClient }) | undefined;

export function storeDeps(): StoreDeps {
  if (!store) {
    const config = loadConfig();
    store = { config, ddb: createDocumentClient(config), clock: systemClock };
  }
  return store;
}

export function valueDeps(): ValueDeps & { kms: KMSClient } {
  if (!values) {
    const { config, ddb, clock } = storeDeps();
    const kms = createKmsClient(config);
    values = { config, ddb, clock, kms, keyring: createKeyring({ ddb, config, kms, clock }) };
  }
  return values;
}

/** Rotation publishes to EventBridge unless given another publisher (the local CLI prints). */
export function rotationDeps(events?: EventPublisher): RotationDeps {
  const deps = valueDeps();
  const { region, eventBusName } = deps.config;
  return {
    ...deps,
    events: events ?? eventBridgePublisher(new EventBridgeClient({ region, maxAttempts: 3 }), eventBusName),
  };
}
