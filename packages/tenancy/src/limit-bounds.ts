import { MAX_TENANT_TURN_CAP } from '@warren/queue';
import type { TenantLimits } from './tenants.ts';

const INT4_MAX = 2_147_483_647;
const GiB = 1024 ** 3;

/**
 * What ops may set each limit to: a sensible range inside its column's type (int4, or bigint
 * read as a JS number, so at most 2^53 - 1). The API and the CLI validate against this table.
 */
export const tenantLimitBounds = {
  monthlyTokenBudget: { min: 1, max: Number.MAX_SAFE_INTEGER, about: 'model tokens per calendar month (credential proxy)' },
  requestsPerMinute: { min: 1, max: 1_000_000, about: 'model requests per minute (credential proxy)' },
  maxConcurrentTurns: { min: 1, max: MAX_TENANT_TURN_CAP, about: 'turns the tenant may run at once' },
  maxApiKeys: { min: 1, max: 10_000, about: 'unrevoked API keys the tenant may hold' },
  maxConversations: { min: 1, max: INT4_MAX, about: 'conversations the tenant may hold' },
  maxAssistants: { min: 1, max: 100_000, about: 'assistants the tenant may define' },
  maxInboundHooks: { min: 1, max: 10_000, about: 'inbound webhook URLs the tenant may hold' },
  maxWebhookEndpoints: { min: 1, max: 1_000, about: 'outbound webhook endpoints the tenant may hold' },
  workspaceBytes: { min: 1024 ** 2, max: 1024 * GiB, about: "bytes one conversation's workspace may hold" },
  turnMaxOutputs: { min: 1, max: 10_000, about: '`send_message` outputs one turn may write' },
  turnMaxOutputBytes: { min: 1024, max: GiB, about: 'bytes of output one turn may write' },
  sandboxCpuPercent: { min: 1, max: 100 * 1024, about: 'CPU one sandbox may use, in percent of one core' },
  retainMessagesDays: { min: 1, max: 36_500, about: 'days answered messages are kept (default: kept)' },
  retainTurnsDays: { min: 1, max: 36_500, about: 'days finished turns are kept (default: kept)' },
  retainArchivesDays: { min: 1, max: 36_500, about: 'days pre-compaction archives are kept (default: kept)' },
  maxActiveTasks: { min: 0, max: 1_000_000, about: 'scheduled tasks the tenant may hold active' },
  taskMinIntervalSeconds: { min: 1, max: 86_400 * 365, about: 'shortest time between two runs of one scheduled task' },
} as const satisfies Record<keyof TenantLimits, { min: number; max: number; about: string }>;
