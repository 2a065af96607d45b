import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod/mini';
import { auditEventRecord, CHANGE_ACTIONS, type ChangeAction } from '../store/items/audit-event.js';
import { ENVIRONMENT_TENANT_PREFIX, SK_PREFIX, TENANT_PATTERN } from '../store/keys.js';

/**
 * Change events: what the outside world is told about a committed change (docs/architecture.md,
 * "Change events"). They are made from the audit items the table's stream carries, never from a
 * request, so an event exists if and only if its change's transaction committed.
 */
export const CHANGE_EVENT_SOURCE = 'secrets-service';

export const CHANGE_DETAIL_TYPES = ['SecretChanged', 'MemberChanged', 'TokenChanged', 'EnvironmentChanged'] as const;
export type ChangeDetailType = (typeof CHANGE_DETAIL_TYPES)[number];

/** Every change action has its detail-type here, so a new action does not compile until it is published. */
const DETAIL_TYPE: Record<ChangeAction, ChangeDetailType> = {
  create: 'SecretChanged',
  update: 'SecretChanged',
  delete: 'SecretChanged',
  restore: 'SecretChanged',
  purge: 'SecretChanged',
  rollback: 'SecretChanged',
  rename: 'SecretChanged',
  copy: 'SecretChanged',
  'member.put': 'MemberChanged',
  'member.remove': 'MemberChanged',
  'token.create': 'TokenChanged',
  'token.revoke': 'TokenChanged',
  'environment.create': 'EnvironmentChanged',
  'environment.update': 'EnvironmentChanged',
  'environment.delete': 'EnvironmentChanged',
  'environment.restore': 'EnvironmentChanged',
};

/**
 * An event's detail: ids, names, versions and who did it, never a value or a masked value.
 * Strict, so a reader of published events notices a field that should not be there.
 */
export const ChangeDetail = z.strictObject({
  /** `<tenant>/<audit ULID>`: the same on every redelivery, so consumers dedupe by it. */
  id: z.string(),
  tenant: z.string(),
  environmentId: z.optional(z.string()),
  secretId: z.optional(z.string()),
  /** An environment secret's key. */
  key: z.optional(z.string()),
  /** A user secret's name. */
  name: z.optional(z.string()),
  userId: z.optional(z.string()),
  tokenId: z.optional(z.string()),
  action: z.enum(CHANGE_ACTIONS),
  version: z.optional(z.number()),
  actor: z.string(),
  requestId: z.string(),
  at: z.string(),
});
export type ChangeDetail = z.infer<typeof ChangeDetail>;

/** An event's id: its audit item's tenant and ULID, which no other event shares. */
export const changeEventId = (tenant: string, auditId: string): string => `${tenant}/${auditId}`;

export interface ChangeEvent {
  detailType: ChangeDetailType;
  detail: ChangeDetail;
}

/**
 * A stream record as both Lambda's DynamoDB event and the DynamoDB Streams API give it: only
 * what the publisher reads. Attribute values stay in DynamoDB's JSON until they are unmarshalled.
 */
export const ChangeStreamRecord = z.object({
  eventName: z.optional(z.string()),
  dynamodb: z.optional(
    z.object({
      SequenceNumber: z.optional(z.string()),
      Keys: z.optional(z.record(z.string(), z.unknown())),
      NewImage: z.optional(z.record(z.string(), z.unknown())),
    }),
  ),
});
export type ChangeStreamRecord = z.infer<typeof ChangeStreamRecord>;

const AuditKeys = z.object({ SK: z.object({ S: z.string().check(z.startsWith(SK_PREFIX.audit)) }) });

/** An audit item as the stream carries it: the record plus its keys (`expires_at` is not read). */
const AuditImage = z.extend(auditEventRecord(), {
  PK: z.string().check(z.regex(TENANT_PATTERN)),
  SK: z.string().check(z.startsWith(SK_PREFIX.audit), z.minLength(SK_PREFIX.audit.length + 1)),
});
type AuditImage = z.infer<typeof AuditImage>;

const CHANGES: ReadonlySet<string> = new Set(CHANGE_ACTIONS);

export type Classified =
  | { kind: 'event'; event: ChangeEvent }
  /** Not a committed change: another item type, a modification or removal, or an access. */
  | { kind: 'skip' }
  /** An inserted audit item that does not read as one; `fields` names what failed, never a value. */
  | { kind: 'malformed'; fields: string[] };

/** What one stream record means for the publisher. */
export function classifyRecord(record: ChangeStreamRecord): Classified {
  if (record.eventName !== 'INSERT' || !AuditKeys.safeParse(record.dynamodb?.Keys).success) return { kind: 'skip' };
  const image = record.dynamodb?.NewImage;
  if (!image) return { kind: 'malformed', fields: ['NewImage'] };
  let item: unknown;
  try {
    item = unmarshall(image as Record<string, AttributeValue>);
  } catch {
    return { kind: 'malformed', fields: ['NewImage (not DynamoDB JSON)'] };
  }
  const audit = AuditImage.safeParse(item);
  if (!audit.success) {
    return { kind: 'malformed', fields: audit.error.issues.map((issue) => issue.path.join('.') || '(item)') };
  }
  if (!CHANGES.has(audit.data.action)) return { kind: 'skip' };
  return { kind: 'event', event: changeEventOf(audit.data) };
}

/** The event of a change's audit item, built field by field: nothing else of the item gets out. */
function changeEventOf(audit: AuditImage): ChangeEvent {
  const action = audit.action as ChangeAction;
  const tenant = audit.PK;
  const environmentId = tenant.startsWith(ENVIRONMENT_TENANT_PREFIX)
    ? tenant.slice(ENVIRONMENT_TENANT_PREFIX.length)
    : undefined;
  const [firstKey] = audit.keys;
  const detail: ChangeDetail = {
    id: changeEventId(tenant, audit.SK.slice(SK_PREFIX.audit.length)),
    tenant,
    environmentId,
    secretId: audit.secret_id,
    key: environmentId === undefined ? undefined : firstKey,
    name: environmentId === undefined ? firstKey : undefined,
    userId: audit.user_id,
    tokenId: audit.token_id,
    action,
    version: audit.version,
    actor: audit.actor,
    requestId: audit.request_id,
    at: audit.at,
  };
  return { detailType: DETAIL_TYPE[action], detail: withoutUndefined(detail) };
}

/** Absent rather than `undefined`, so the in-memory event reads as its JSON does. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
