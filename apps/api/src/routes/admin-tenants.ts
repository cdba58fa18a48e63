import { notFound } from '@warren/core';
import { controlDb, type Pool } from '@warren/db';
import { getTenant, listTenants, provisionTenant, setTenantLimits, setTenantStatus } from '@warren/tenancy';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createTenantBody,
  newApiKeySchema,
  page,
  pageQuery,
  tenantIdParams,
  tenantLimitsBody,
  tenantSchema,
  toApiKey,
  toTenant,
} from '../schemas.ts';

/** Ops plane: provisioning and lifecycle of tenants, behind the ops token. */
export const adminTenantRoutes: FastifyPluginAsyncZod<{ pool: Pool }> = async (app, { pool }) => {
  const db = controlDb(pool);
  const tags = ['admin'];
  const security = [{ opsToken: [] }];

  app.post(
    '/v1/admin/tenants',
    {
      schema: {
        tags,
        security,
        summary: 'Provision a tenant (role, schema, tables) and its first API key',
        body: createTenantBody,
        response: { 201: z.object({ tenant: tenantSchema, apiKey: newApiKeySchema }) },
      },
    },
    async (request, reply) => {
      const { tenant, apiKey } = await provisionTenant(pool, request.body);
      return reply.code(201).send({ tenant: toTenant(tenant), apiKey: { ...toApiKey(apiKey), key: apiKey.key } });
    },
  );

  app.get(
    '/v1/admin/tenants',
    {
      schema: {
        tags,
        security,
        summary: 'List tenants',
        querystring: pageQuery.extend({ after: tenantIdParams.shape.id.optional() }),
        response: { 200: page(tenantSchema, z.string()) },
      },
    },
    async (request) => {
      const { limit, after } = request.query;
      const rows = await listTenants(db, { limit: limit + 1, after });
      const data = rows.slice(0, limit).map(toTenant);
      return { data, next: rows.length > limit ? data.at(-1)!.id : null };
    },
  );

  app.get(
    '/v1/admin/tenants/:id',
    { schema: { tags, security, summary: 'Get a tenant', params: tenantIdParams, response: { 200: tenantSchema } } },
    async (request) => {
      const tenant = await getTenant(db, request.params.id);
      if (!tenant) throw notFound('tenant');
      return toTenant(tenant);
    },
  );

  app.patch(
    '/v1/admin/tenants/:id',
    {
      schema: {
        tags,
        security,
        summary: "Change a tenant's limits (token budget, requests per minute, concurrent turns); null restores the default",
        params: tenantIdParams,
        body: tenantLimitsBody,
        response: { 200: tenantSchema },
      },
    },
    async (request) => {
      const tenant = await setTenantLimits(db, request.params.id, request.body);
      if (!tenant) throw notFound('tenant');
      app.apiKeyCache.clear(); // other processes hear of it through NOTIFY
      return toTenant(tenant);
    },
  );

  for (const [action, status] of [
    ['suspend', 'suspended'],
    ['resume', 'active'],
  ] as const) {
    app.post(
      `/v1/admin/tenants/:id/${action}`,
      {
        schema: {
          tags,
          security,
          summary: action === 'suspend' ? 'Suspend a tenant: its keys get 403 until resumed' : 'Resume a suspended tenant',
          params: tenantIdParams,
          response: { 200: tenantSchema },
        },
      },
      async (request) => {
        const tenant = await setTenantStatus(db, request.params.id, status);
        if (!tenant) throw notFound('tenant');
        app.apiKeyCache.clear(); // other processes hear of it through NOTIFY
        return toTenant(tenant);
      },
    );
  }
};
