import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
// The run's Postgres, as testkit's global setup provides it (testkit itself depends on this package).
import type {} from '../../testkit/src/provided.ts';
import { checkServerVersion, supportedMajor, UnsupportedPostgresError } from '../src/index.ts';

describe('the Postgres version check', () => {
  it('refuses a server below 15 with a message naming the version', () => {
    expect(() => supportedMajor(140011, '14.11')).toThrow(UnsupportedPostgresError);
    expect(() => supportedMajor(140011, '14.11')).toThrow('Warren needs PostgreSQL 15 or later; this server runs 14.11 (DATABASE_URL)');
    expect(supportedMajor(150004, '15.4')).toBe(15);
    expect(supportedMajor(180004, '18.4')).toBe(18);
  });

  it("accepts the test run's server", async () => {
    const client = new pg.Client({ connectionString: inject('postgres').superuserUrl });
    await client.connect();
    try {
      expect(await checkServerVersion(client)).toBeGreaterThanOrEqual(15);
    } finally {
      await client.end();
    }
  });
});
