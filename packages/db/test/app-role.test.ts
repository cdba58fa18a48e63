import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// The run's Postgres, as testkit's global setup provides it (testkit itself depends on this package).
import type {} from '../../testkit/src/provided.ts';
import { checkServerVersion, ensureAppRoleNoInherit, grantTenantRoleToApp } from '../src/index.ts';

// An app role made by ops without NOINHERIT (also run against Postgres 15, see vitest.config.ts).
const role = `app_${randomBytes(4).toString('hex')}`;
let admin: pg.Client;
let app: pg.Client;
let major: number;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject('postgres').superuserUrl });
  await admin.connect();
  await admin.query(`CREATE ROLE ${role} LOGIN CREATEROLE INHERIT PASSWORD 'pw'`);
  const url = new URL(inject('postgres').superuserUrl);
  url.username = role;
  url.password = 'pw';
  app = new pg.Client({ connectionString: url.toString() });
  await app.connect();
  major = await checkServerVersion(app);
});
afterAll(async () => {
  await app.end();
  await admin.query(`DROP SCHEMA IF EXISTS ${role}_t CASCADE; DROP ROLE IF EXISTS ${role}_t; DROP ROLE ${role}`);
  await admin.end();
});

const inherits = async () => (await admin.query('SELECT rolinherit FROM pg_roles WHERE rolname = $1', [role])).rows[0].rolinherit;

describe('an app role with INHERIT', () => {
  it('gets no tenant grant on Postgres 15, and the message says how to fix it', async () => {
    await app.query(`CREATE ROLE ${role}_t NOLOGIN`);
    if (major >= 16) return expect(grantTenantRoleToApp(app, `${role}_t`)).resolves.toBeUndefined();
    await expect(grantTenantRoleToApp(app, `${role}_t`)).rejects.toThrow(/ALTER ROLE <app role> NOINHERIT/);
  });

  it('is made NOINHERIT by migrate on Postgres 15, and left alone on 16+ where grants state it', async () => {
    expect(await ensureAppRoleNoInherit(app)).toBe(major < 16);
    expect(await inherits()).toBe(major >= 16);
  });

  it('then holds the tenant role with SET but reads nothing of it without switching', async () => {
    if (major < 16) await grantTenantRoleToApp(app, `${role}_t`);
    await admin.query(`CREATE SCHEMA ${role}_t AUTHORIZATION ${role}_t`);
    await app.query(`SET ROLE ${role}_t; CREATE TABLE ${role}_t.secret AS SELECT 1 AS x; RESET ROLE`);
    await expect(app.query(`SELECT * FROM ${role}_t.secret`)).rejects.toThrow(/permission denied/);
    await app.query(`SET ROLE ${role}_t`);
    expect((await app.query(`SELECT x FROM ${role}_t.secret`)).rows).toEqual([{ x: 1 }]);
    await app.query('RESET ROLE');
  });
});
