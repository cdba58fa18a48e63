import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { idSchema, text } from '@warren/core';
import { controlDb, createPool } from '@warren/db';
import {
  deleteTenant,
  exportTenant,
  getTenant,
  listTenants,
  provisionTenant,
  setTenantLimits,
  setTenantStatus,
  type TenantLimits,
  tenantLimitBounds,
  tenantLimitKeys,
} from '@warren/tenancy';
import { z } from 'zod';
import { databaseUrlFromEnv, parseFlags, UsageError } from '../args.ts';
import { cliLogger } from '../log.ts';

type LimitKey = keyof TenantLimits;
/** `maxApiKeys` → `max-api-keys`: one flag per per-tenant limit. */
const flagOf = (key: LimitKey) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const limitFlags = Object.fromEntries(tenantLimitKeys.map((key) => [flagOf(key), { type: 'string' }] as const));
const flagList = tenantLimitKeys.map((key) => `[--${flagOf(key)} N]`).join(' ');

export const tenantsUsage = `warren tenants create --name NAME ${flagList}
  Provisions a tenant and prints its first API key (shown once).
warren tenants limits TENANT_ID ${flagList.replaceAll(' N]', ' N|default]')}
  Changes the named limits; \`default\` returns one to the platform default.
warren tenants list [--json]
warren tenants suspend TENANT_ID | warren tenants resume TENANT_ID
warren tenants export TENANT_ID [--out FILE]
  Writes the tenant's data as JSON lines ({"table", "row"}) to FILE or stdout.
warren tenants delete TENANT_ID [--confirm TENANT_ID]
  Without --confirm, says what would go; with the id repeated, deletes the tenant's schema, role,
  keys and control rows for good (workers remove its files at their next sweep).`;

/** A limit flag: a whole number within the limit's bounds (its column's type), or with `orDefault`, `default` for null. */
const limitFlag = (key: LimitKey, orDefault: boolean) => {
  const n = z.coerce.number().int().min(tenantLimitBounds[key].min).max(tenantLimitBounds[key].max);
  return (orDefault ? z.union([z.literal('default').transform(() => null), n]) : n).optional();
};
// Typed by the flags' shape (every limit flag has a dash) so that `.extend({ name })` stays apart.
const limitsSchema = (orDefault: boolean) =>
  z.object(
    Object.fromEntries(tenantLimitKeys.map((key) => [flagOf(key), limitFlag(key, orDefault)])) as Record<
      `${string}-${string}`,
      ReturnType<typeof limitFlag>
    >,
  );

const shownLimits = (limits: TenantLimits) => tenantLimitKeys.map((key) => `${flagOf(key)} ${limits[key] ?? 'default'}`).join(', ');

/** The limits named on the command line, by their TenantLimits key. */
const namedLimits = (flags: Record<string, unknown>) =>
  Object.fromEntries(
    tenantLimitKeys.flatMap((key) => (flags[flagOf(key)] === undefined ? [] : [[key, flags[flagOf(key)]]])),
  ) as Partial<TenantLimits>;

export async function tenantsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const pool = createPool(databaseUrlFromEnv(), { max: 2, applicationName: 'warren-cli', logger: cliLogger });
  try {
    switch (sub) {
      case 'create': {
        const { flags } = parseFlags(
          rest,
          { name: { type: 'string' }, ...limitFlags },
          limitsSchema(false).extend({ name: text().trim().min(1).max(200) }),
        );
        const { tenant, apiKey } = await provisionTenant(pool, { name: flags.name, ...namedLimits(flags) });
        console.log(`tenant:  ${tenant.id} (${tenant.name})`);
        console.log(`limits:  ${shownLimits(tenant)}`);
        console.log(`api key: ${apiKey.key}`);
        console.log('The key is shown once; store it now.');
        return 0;
      }
      case 'list': {
        const { flags } = parseFlags(rest, { json: { type: 'boolean' } }, z.object({ json: z.boolean().default(false) }));
        const db = controlDb(pool);
        const all = [];
        for (let page = await listTenants(db, { limit: 500 }); page.length > 0; ) {
          all.push(...page);
          page = await listTenants(db, { limit: 500, after: page.at(-1)!.id });
        }
        if (flags.json) console.log(JSON.stringify(all, null, 2));
        else if (all.length === 0) console.log('no tenants');
        else console.table(all.map((t) => ({ id: t.id, name: t.name, status: t.status, created: t.createdAt.toISOString() })));
        return 0;
      }
      case 'limits': {
        const { flags, positionals } = parseFlags(rest, limitFlags, limitsSchema(true));
        const id = idSchema('tenant').safeParse(positionals[0]);
        if (!id.success || positionals.length !== 1)
          throw new UsageError('usage: warren tenants limits TENANT_ID --max-concurrent-turns N|default …');
        const changes = namedLimits(flags);
        if (Object.keys(changes).length === 0) throw new UsageError('name at least one limit to change');
        const tenant = await setTenantLimits(controlDb(pool), id.data, changes);
        if (!tenant) {
          console.error(`no tenant ${id.data}`);
          return 1;
        }
        console.log(`${tenant.id}: ${shownLimits(tenant)}`);
        return 0;
      }
      case 'suspend':
      case 'resume': {
        const { positionals } = parseFlags(rest, {}, z.object({}));
        const id = idSchema('tenant').safeParse(positionals[0]);
        if (!id.success || positionals.length !== 1) throw new UsageError(`usage: warren tenants ${sub} TENANT_ID`);
        const tenant = await setTenantStatus(controlDb(pool), id.data, sub === 'suspend' ? 'suspended' : 'active');
        if (!tenant) {
          console.error(`no tenant ${id.data}`);
          return 1;
        }
        console.log(`${tenant.id} is now ${tenant.status}`);
        return 0;
      }
      case 'export': {
        const { flags, positionals } = parseFlags(rest, { out: { type: 'string' } }, z.object({ out: z.string().min(1).optional() }));
        const id = idSchema('tenant').safeParse(positionals[0]);
        if (!id.success || positionals.length !== 1) throw new UsageError('usage: warren tenants export TENANT_ID [--out FILE]');
        if (!(await getTenant(controlDb(pool), id.data))) {
          console.error(`no tenant ${id.data}`);
          return 1;
        }
        const out = flags.out ? createWriteStream(flags.out, { flags: 'wx', mode: 0o600 }) : process.stdout;
        const lines = await exportTenant(pool, id.data, (line) => writeLine(out, `${JSON.stringify(line)}\n`));
        if (out !== process.stdout)
          await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        console.error(`${lines} rows of ${id.data} exported${flags.out ? ` to ${flags.out}` : ''}`);
        return 0;
      }
      case 'delete': {
        const { flags, positionals } = parseFlags(rest, { confirm: { type: 'string' } }, z.object({ confirm: z.string().optional() }));
        const id = idSchema('tenant').safeParse(positionals[0]);
        if (!id.success || positionals.length !== 1) throw new UsageError('usage: warren tenants delete TENANT_ID [--confirm TENANT_ID]');
        const tenant = await getTenant(controlDb(pool), id.data);
        if (!tenant) {
          console.error(`no tenant ${id.data}`);
          return 1;
        }
        if (flags.confirm !== id.data) {
          console.error(
            `This deletes ${tenant.id} (${tenant.name}) for good: its schema with every conversation, message and workspace, its role, keys and usage.\n` +
              `Export it first (warren tenants export ${tenant.id} --out FILE), then repeat the id: --confirm ${tenant.id}`,
          );
          return 1;
        }
        await deleteTenant(pool, id.data);
        console.log(`${id.data} deleted`);
        return 0;
      }
      default:
        throw new UsageError(tenantsUsage);
    }
  } finally {
    await pool.end();
  }
}

/** Writes `text`, waiting for the stream to drain when it is full; rejects on a write error. */
function writeLine(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = out.write(text, (err) => {
      if (err) reject(err);
      else if (ok) resolve();
    });
    if (!ok) out.once('drain', resolve);
  });
}
