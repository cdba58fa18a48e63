import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import underPressure from '@fastify/under-pressure';
import { AppError, type Logger } from '@warren/core';
import { controlDb, type Pool } from '@warren/db';
import { EventHub } from '@warren/events';
import type { TurnQueue } from '@warren/queue';
import { ApiKeyCache } from '@warren/tenancy';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { type FastifyPluginAsyncZod, jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { clientErrorHandler, refuseConnect } from './client-errors.ts';
import type { ApiConfig } from './config.ts';
import { trackConnections } from './connections.ts';
import { EventStreams } from './event-stream.ts';
import { apiMetrics } from './metrics.ts';
import { withProblemResponses } from './openapi.ts';
import { opsAuth, tenantAuth } from './plugins/auth.ts';
import { serveDashboard } from './plugins/dashboard-static.ts';
import { jsonBody } from './plugins/json-body.ts';
import { frameworkErrors, problems, sendProblem } from './plugins/problems.ts';
import { requestLogFields } from './request-url.ts';
import { adminOpsRoutes } from './routes/admin-ops.ts';
import { adminTenantRoutes } from './routes/admin-tenants.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { archiveRoutes } from './routes/archives.ts';
import { assistantRoutes } from './routes/assistants.ts';
import { conversationRoutes } from './routes/conversations.ts';
import { credentialRoutes } from './routes/credentials.ts';
import { dashboardSessionRoutes } from './routes/dashboard-session.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { hookDeliveryRoutes } from './routes/hook-deliveries.ts';
import { inboundHookRoutes } from './routes/inbound-hooks.ts';
import { messageRoutes } from './routes/messages.ts';
import { skillRoutes } from './routes/skills.ts';
import { taskRoutes } from './routes/tasks.ts';
import { turnRoutes } from './routes/turns.ts';
import { usageRoutes } from './routes/usage.ts';
import { webhookEndpointRoutes } from './routes/webhook-endpoints.ts';

export type ApiOptions = Pick<
  ApiConfig,
  | 'OPS_TOKEN'
  | 'METRICS_TOKEN'
  | 'TRUST_PROXY'
  | 'BODY_LIMIT_BYTES'
  | 'RATE_LIMIT_PER_MINUTE'
  | 'PROXY_PUBLIC_KEY'
  | 'DEFAULT_MAX_API_KEYS'
  | 'DEFAULT_MAX_CONVERSATIONS'
  | 'DASHBOARD_SESSION_SECONDS'
  | 'DASHBOARD_DIR'
  | 'SKILL_UPLOAD_MAX_BYTES'
  | 'DEFAULT_MAX_SKILLS'
  | 'DEFAULT_MAX_ASSISTANTS'
  | 'HOOK_SECRET_KEY'
  | 'INBOUND_BODY_LIMIT_BYTES'
  | 'DEFAULT_MAX_INBOUND_HOOKS'
  | 'DEFAULT_MAX_WEBHOOK_ENDPOINTS'
  | 'WEBHOOK_ALLOW_PRIVATE_DESTINATIONS'
  | 'DEFAULT_MAX_ACTIVE_TASKS'
  | 'DEFAULT_TASK_MIN_INTERVAL_SECONDS'
  | 'SSE_MAX_STREAMS_PER_KEY'
  | 'SSE_HEARTBEAT_SECONDS'
  | 'SSE_MAX_BUFFER_BYTES'
> & {
  pool: Pool;
  /** Where triggering messages enqueue their turn, in the same transaction. */
  turnQueue: TurnQueue;
  logger: Logger;
};

/** Tenant plane: every route below runs as the tenant that the API key names, rate-limited per key. */
const tenantPlane: FastifyPluginAsyncZod<ApiOptions & { streams: EventStreams }> = async (app, opts) => {
  await app.register(tenantAuth);
  await app.register(rateLimit, {
    max: opts.RATE_LIMIT_PER_MINUTE,
    timeWindow: '1 minute',
    hook: 'preParsing',
    keyGenerator: (request) => request.apiKeyId,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new AppError('rate_limited', `rate limit of ${context.max} requests per ${context.after} exceeded`), {
        statusCode: 429,
      }),
  });
  await app.register(conversationRoutes, { pool: opts.pool, defaultMaxConversations: opts.DEFAULT_MAX_CONVERSATIONS });
  await app.register(messageRoutes, { pool: opts.pool, turnQueue: opts.turnQueue });
  await app.register(turnRoutes, { pool: opts.pool });
  await app.register(assistantRoutes, { pool: opts.pool, defaultMaxAssistants: opts.DEFAULT_MAX_ASSISTANTS });
  await app.register(archiveRoutes, { pool: opts.pool });
  await app.register(taskRoutes, {
    pool: opts.pool,
    turnQueue: opts.turnQueue,
    defaultLimits: { maxActiveTasks: opts.DEFAULT_MAX_ACTIVE_TASKS, minIntervalSeconds: opts.DEFAULT_TASK_MIN_INTERVAL_SECONDS },
  });
  await app.register(apiKeyRoutes, { pool: opts.pool, defaultMaxApiKeys: opts.DEFAULT_MAX_API_KEYS });
  await app.register(credentialRoutes, { pool: opts.pool, proxyPublicKey: opts.PROXY_PUBLIC_KEY });
  await app.register(skillRoutes, { pool: opts.pool, maxUploadBytes: opts.SKILL_UPLOAD_MAX_BYTES, maxSkills: opts.DEFAULT_MAX_SKILLS });
  await app.register(inboundHookRoutes, {
    pool: opts.pool,
    sealingKey: opts.HOOK_SECRET_KEY,
    defaultMaxInboundHooks: opts.DEFAULT_MAX_INBOUND_HOOKS,
  });
  await app.register(webhookEndpointRoutes, {
    pool: opts.pool,
    webhookQueue: opts.turnQueue.webhooks(),
    sealingKey: opts.HOOK_SECRET_KEY,
    allowPrivateDestinations: opts.WEBHOOK_ALLOW_PRIVATE_DESTINATIONS,
    defaultMaxWebhookEndpoints: opts.DEFAULT_MAX_WEBHOOK_ENDPOINTS,
  });
  await app.register(usageRoutes);
  await app.register(eventRoutes, { pool: opts.pool, streams: opts.streams });
};

/** Ops plane: every route below needs the ops token or an ops dashboard session. */
const opsPlane: FastifyPluginAsyncZod<ApiOptions> = async (app, opts) => {
  await app.register(opsAuth, { opsToken: opts.OPS_TOKEN });
  await app.register(adminTenantRoutes, { pool: opts.pool });
  await app.register(adminOpsRoutes, { pool: opts.pool, turnQueue: opts.turnQueue });
};

export async function buildApi(opts: ApiOptions): Promise<FastifyInstance> {
  const trust = opts.TRUST_PROXY;
  const app = Fastify({
    // Fastify's request serializer would log URLs with their query strings.
    loggerInstance: opts.logger.child({}, { serializers: { req: requestLogFields } }) as FastifyBaseLogger,
    bodyLimit: opts.BODY_LIMIT_BYTES,
    // Behind a TLS-terminating proxy, request.protocol (the session cookie's Secure flag) comes from X-Forwarded-Proto.
    // A number of hops as the function Fastify makes of it (its types take no number).
    trustProxy: typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust,
    // Unknown query keys are rejected by the strict schemas, not silently dropped.
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors,
    clientErrorHandler,
  });
  app.server.on('connect', refuseConnect);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const apiKeyCache = new ApiKeyCache(controlDb(opts.pool));
  await apiKeyCache.listen(opts.pool);
  app.decorate('apiKeyCache', apiKeyCache);
  app.decorate('controlDb', controlDb(opts.pool));
  app.addHook('onClose', () => apiKeyCache.close());

  await app.register(problems);
  await app.register(cookie);
  await app.register(jsonBody);
  await app.register(underPressure, {
    maxEventLoopDelay: 1000,
    pressureHandler: (request, reply, type) => {
      sendProblem(reply, request, 'unavailable', `server under pressure (${type}); retry shortly`);
    },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Warren API', version: '1.0.0', description: 'Multi-tenant backend for AI agents.' },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key (wrn_…)' },
          opsToken: { type: 'http', scheme: 'bearer', description: 'The ops token (OPS_TOKEN)' },
        },
      },
      security: [{ apiKey: [] }],
    },
    transform: (route) => withProblemResponses(jsonSchemaTransform(route)),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  apiMetrics(app, opts.pool, opts.METRICS_TOKEN ?? opts.OPS_TOKEN);
  await app.register(healthRoutes, { pool: opts.pool });
  await serveDashboard(app, opts.DASHBOARD_DIR);
  await app.register(dashboardSessionRoutes, { opsToken: opts.OPS_TOKEN, ttlSeconds: opts.DASHBOARD_SESSION_SECONDS });
  await app.register(opsPlane, opts);
  // One LISTEN connection for every event stream of this process; streams end before the server
  // closes, then connections without a request go (the server's close would wait for them).
  const hub = new EventHub(opts.pool, opts.logger);
  await hub.listen();
  const connections = trackConnections(app.server);
  app.addHook('preClose', async () => {
    await hub.close();
    connections.closeQuiet();
  });
  const streams = new EventStreams(hub, {
    maxPerKey: opts.SSE_MAX_STREAMS_PER_KEY,
    heartbeatMs: opts.SSE_HEARTBEAT_SECONDS * 1000,
    maxBufferedBytes: opts.SSE_MAX_BUFFER_BYTES,
    drainTimeoutMs: opts.SSE_HEARTBEAT_SECONDS * 2000,
  });
  await app.register(tenantPlane, { ...opts, streams });
  await app.register(hookDeliveryRoutes, {
    pool: opts.pool,
    turnQueue: opts.turnQueue,
    sealingKey: opts.HOOK_SECRET_KEY,
    defaultMaxConversations: opts.DEFAULT_MAX_CONVERSATIONS,
    bodyLimit: opts.INBOUND_BODY_LIMIT_BYTES,
    perMinute: opts.RATE_LIMIT_PER_MINUTE,
  });
  return app;
}
