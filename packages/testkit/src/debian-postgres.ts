import { existsSync } from 'node:fs';

/** Debian 12's packaged Postgres (apt `postgresql-15`): the oldest version Warren supports. */
export const DEBIAN_PG15_BIN = '/usr/lib/postgresql/15/bin';

export function debianPostgres15Installed(): boolean {
  return existsSync(`${DEBIAN_PG15_BIN}/postgres`) && existsSync(`${DEBIAN_PG15_BIN}/initdb`);
}
