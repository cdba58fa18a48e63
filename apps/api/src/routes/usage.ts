import { getTenant, usageByDay } from '@warren/tenancy';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const usageSchema = z.object({
  monthlyTokenBudget: z.number().nullable().describe("The tenant's own monthly token budget; null: the platform default."),
  days: z.array(z.object({ day: z.iso.date(), requests: z.number(), inputTokens: z.number(), outputTokens: z.number() })),
});

/** What the tenant's model calls cost, as the credential proxy metered them. */
export const usageRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/usage',
    {
      schema: {
        tags: ['usage'],
        summary: 'Model usage per day (days without use left out) and the monthly token budget',
        querystring: z.strictObject({ days: z.coerce.number().int().min(1).max(366).default(30) }),
        response: { 200: usageSchema },
      },
    },
    async (request) => {
      const tenant = await getTenant(app.controlDb, request.tenantId);
      return {
        monthlyTokenBudget: tenant?.monthlyTokenBudget ?? null,
        days: await usageByDay(app.controlDb, request.tenantId, request.query.days),
      };
    },
  );
};
