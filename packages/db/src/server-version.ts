import { ConfigError } from '@warren/core';

/** The oldest Postgres Warren runs on (Debian 12's); 15 through 18 are tested. */
export const MIN_POSTGRES_MAJOR = 15;

/** A ConfigError: DATABASE_URL names a server Warren cannot run on, so services exit 78 with the message. */
export class UnsupportedPostgresError extends ConfigError {
  override name = 'UnsupportedPostgresError';
}

/** A pool, a pooled client or a plain client. */
export interface Queryable {
  query(sql: string): Promise<{ rows: unknown[] }>;
}

/** `server_version_num` as a major version (150004 → 15), refusing what Warren does not support. */
export function supportedMajor(versionNum: number, version: string): number {
  const major = Math.floor(versionNum / 10_000);
  if (!Number.isInteger(major) || major < MIN_POSTGRES_MAJOR) {
    throw new UnsupportedPostgresError(
      `Warren needs PostgreSQL ${MIN_POSTGRES_MAJOR} or later; this server runs ${version} (DATABASE_URL)`,
    );
  }
  return major;
}

/** Asks the server its version and refuses one below MIN_POSTGRES_MAJOR; returns the major. */
export async function checkServerVersion(db: Queryable): Promise<number> {
  const { rows } = await db.query(`SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version`);
  const row = rows[0] as { num: number; version: string };
  return supportedMajor(row.num, row.version);
}
