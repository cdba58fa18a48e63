import { checkServerVersion, type Queryable } from './server-version.ts';

/**
 * The app role may SET ROLE to every tenant but must not inherit their rights: outside
 * withTenant it reads no tenant table. Postgres 16 states that per grant (WITH INHERIT FALSE,
 * SET TRUE); on 15 a grant inherits exactly when its grantee has INHERIT, so there the app role
 * must be NOINHERIT.
 */
export async function grantTenantRoleToApp(client: Queryable, tenantRole: string): Promise<void> {
  const role = `"${tenantRole.replaceAll('"', '""')}"`;
  if ((await checkServerVersion(client)) >= 16) {
    await client.query(`GRANT ${role} TO CURRENT_USER WITH INHERIT FALSE, SET TRUE`);
    return;
  }
  if (await appRoleInherits(client)) throw new Error(appRoleInheritsMessage());
  await client.query(`GRANT ${role} TO CURRENT_USER`);
}

/**
 * For `migrate`: on Postgres 15 an app role with INHERIT would read every tenant's data through
 * its grants, so it is made NOINHERIT (a CREATEROLE role may do that to itself there); when the
 * server refuses, the message says what ops must run. Returns whether the role was changed.
 */
export async function ensureAppRoleNoInherit(db: Queryable): Promise<boolean> {
  if ((await checkServerVersion(db)) >= 16 || !(await appRoleInherits(db))) return false;
  try {
    await db.query('ALTER ROLE CURRENT_USER NOINHERIT');
  } catch (err) {
    throw new Error(`${appRoleInheritsMessage()} (${(err as Error).message})`, { cause: err });
  }
  return true;
}

async function appRoleInherits(db: Queryable): Promise<boolean> {
  const { rows } = await db.query('SELECT rolinherit FROM pg_roles WHERE rolname = current_user');
  return (rows[0] as { rolinherit: boolean }).rolinherit;
}

function appRoleInheritsMessage(): string {
  return (
    "the app role has INHERIT: on Postgres 15 it would read every tenant's tables without switching role. " +
    'Make it NOINHERIT as a superuser (ALTER ROLE <app role> NOINHERIT) and run warren migrate again'
  );
}
