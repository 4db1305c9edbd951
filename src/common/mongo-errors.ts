const DUPLICATE_KEY = 11000;

/** MongoDB reports a unique-index violation as code 11000 (on single writes and in bulk write errors). */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, writeErrors } = error as { code?: unknown; writeErrors?: Array<{ code?: unknown }> };
  return code === DUPLICATE_KEY || (Array.isArray(writeErrors) && writeErrors.some((e) => e?.code === DUPLICATE_KEY));
}
