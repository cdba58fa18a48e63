const UNIQUE_VIOLATION = '23505';

/** Whether Postgres refused a write for a unique index (drizzle wraps the driver's error in `cause`). */
export function isUniqueViolation(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause ?? err;
  return (cause as { code?: string }).code === UNIQUE_VIOLATION;
}
