import type * as z from 'zod/mini';
import { logger } from '../log.js';

/** A table item that failed its schema when read back: the service's fault, answered as a bare 500. */
export class CorruptRecordError extends Error {
  constructor(readonly recordType: string) {
    super(`Stored ${recordType} record failed validation`);
    this.name = 'CorruptRecordError';
  }
}

/**
 * Parses an item read back from the table. A malformed item is logged by record type and
 * field path only (never by value) and raised as a CorruptRecordError.
 */
export function parseRecord<T>(schema: z.ZodMiniType<T>, item: unknown, recordType: string): T {
  const result = schema.safeParse(item);
  if (result.success) return result.data;
  logger.error('stored record failed validation', {
    recordType,
    fields: result.error.issues.map((issue) => issue.path.join('.')),
  });
  throw new CorruptRecordError(recordType);
}
