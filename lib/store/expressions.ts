/**
 * Expression builders that name every attribute through a `#placeholder`, so attribute names
 * that are DynamoDB reserved words (key, name, role, description…) need no special care.
 * Placeholders are `#<attribute>`, so the names of several builders merge without clashing.
 */
export interface Names {
  ExpressionAttributeNames: Record<string, string>;
}

const namesOf = (attributes: readonly string[]): Record<string, string> =>
  Object.fromEntries(attributes.map((attribute) => [`#${attribute}`, attribute]));

/** Reads only these attributes: metadata reads use it to leave ciphertext behind. */
export function projection(...attributes: readonly string[]): Names & { ProjectionExpression: string } {
  return {
    ProjectionExpression: attributes.map((a) => `#${a}`).join(', '),
    ExpressionAttributeNames: namesOf(attributes),
  };
}

/** `SET #a = :a, …` for every attribute given. */
export function setAll(values: Record<string, unknown>): Names & {
  UpdateExpression: string;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  const attributes = Object.keys(values);
  return {
    UpdateExpression: `SET ${attributes.map((a) => `#${a} = :${a}`).join(', ')}`,
    ExpressionAttributeNames: namesOf(attributes),
    ExpressionAttributeValues: Object.fromEntries(attributes.map((a) => [`:${a}`, values[a]])),
  };
}
