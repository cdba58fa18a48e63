import { idSchema } from '@warren/core';
import { controlDb, createPool } from '@warren/db';
import { MAX_TENANT_TURN_CAP } from '@warren/queue';
import { listTenants, provisionTenant, setTenantLimits, setTenantStatus } from '@warren/tenancy';
import { z } from 'zod';
import { UsageError, databaseUrlFromEnv, parseFlags } from '../args.ts';

export const tenantsUsage = `warren tenants create --name NAME [--monthly-token-budget N] [--requests-per-minute N] [--max-concurrent-turns N]
  Provisions a tenant and prints its first API key (shown once).
warren tenants limits TENANT_ID [--monthly-token-budget N|default] [--requests-per-minute N|default] [--max-concurrent-turns N|default]
  Changes the named limits; \`default\` returns one to the platform default.
warren tenants list [--json]
warren tenants suspend TENANT_ID | warren tenants resume TENANT_ID`;

const positive = z.coerce.number().int().positive().optional();
const turnCap = z.coerce.number().int().min(1).max(MAX_TENANT_TURN_CAP);
/** A limit flag of `limits`: a number, or `default` for null. */
const limit = (n: z.ZodCoercedNumber) => z.union([z.literal('default').transform(() => null), n]).optional();
const limitFlags = { 'monthly-token-budget': { type: 'string' }, 'requests-per-minute': { type: 'string' }, 'max-concurrent-turns': { type: 'string' } } as const;

export async function tenantsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const pool = createPool(databaseUrlFromEnv(), { max: 2, applicationName: 'warren-cli' });
  try {
    switch (sub) {
      case 'create': {
        const { flags } = parseFlags(
          rest,
          { name: { type: 'string' }, ...limitFlags },
          z.object({
            name: z.string().trim().min(1).max(200),
            'monthly-token-budget': positive,
            'requests-per-minute': positive,
            'max-concurrent-turns': turnCap.optional(),
          }),
        );
        const { tenant, apiKey } = await provisionTenant(pool, {
          name: flags.name,
          monthlyTokenBudget: flags['monthly-token-budget'] ?? null,
          requestsPerMinute: flags['requests-per-minute'] ?? null,
          maxConcurrentTurns: flags['max-concurrent-turns'] ?? null,
        });
        console.log(`tenant:  ${tenant.id} (${tenant.name})`);
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
        const { flags, positionals } = parseFlags(
          rest,
          limitFlags,
          z.object({
            'monthly-token-budget': limit(z.coerce.number().int().positive()),
            'requests-per-minute': limit(z.coerce.number().int().positive()),
            'max-concurrent-turns': limit(turnCap),
          }),
        );
        const id = idSchema('tenant').safeParse(positionals[0]);
        if (!id.success || positionals.length !== 1) throw new UsageError('usage: warren tenants limits TENANT_ID --max-concurrent-turns N|default …');
        const changes = {
          ...(flags['monthly-token-budget'] !== undefined && { monthlyTokenBudget: flags['monthly-token-budget'] }),
          ...(flags['requests-per-minute'] !== undefined && { requestsPerMinute: flags['requests-per-minute'] }),
          ...(flags['max-concurrent-turns'] !== undefined && { maxConcurrentTurns: flags['max-concurrent-turns'] }),
        };
        if (Object.keys(changes).length === 0) throw new UsageError('name at least one limit to change');
        const tenant = await setTenantLimits(controlDb(pool), id.data, changes);
        if (!tenant) {
          console.error(`no tenant ${id.data}`);
          return 1;
        }
        const shown = (v: number | null) => (v === null ? 'default' : String(v));
        console.log(
          `${tenant.id}: monthly token budget ${shown(tenant.monthlyTokenBudget)}, requests per minute ${shown(tenant.requestsPerMinute)}, concurrent turns ${shown(tenant.maxConcurrentTurns)}`,
        );
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
      default:
        throw new UsageError(tenantsUsage);
    }
  } finally {
    await pool.end();
  }
}
