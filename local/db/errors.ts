/**
 * The duplicate-key error of the embedded database. It imitates the platform (uniCloud passes MongoDB's error
 * through: code 11000, message `E11000 duplicate key error collection: <db>.<coll> index: <name> dup key: {...}`),
 * so `isDuplicateKeyError` in platform/database.ts treats the local and the real database alike. It is a
 * platform error, not a VkPayError: the core catches it and maps it to its own outcome.
 */
export class DuplicateKeyError extends Error {
  readonly code = 11000;
  readonly keyValue: Record<string, unknown>;
  constructor(collection: string, indexName: string, keyValue: Record<string, unknown>) {
    const shown = Object.entries(keyValue).map(([k, v]) => `${k}: ${JSON.stringify(v ?? null)}`).join(', ');
    super(`E11000 duplicate key error collection: local.${collection} index: ${indexName} dup key: { ${shown} }`);
    this.name = 'MongoServerError';
    this.keyValue = keyValue;
  }
}
