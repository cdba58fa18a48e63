// Every limit PATCH /v1/admin/tenants/:id accepts, with its range: a copy of
// packages/tenancy/src/limit-bounds.ts (the dashboard bundles no server code), which
// test/dashboard.test.ts checks it against.

const INT4_MAX = 2_147_483_647;
const GiB = 1024 ** 3;

export const tenantLimits = [
  { key: 'monthlyTokenBudget', min: 1, max: Number.MAX_SAFE_INTEGER, about: 'model tokens per calendar month' },
  { key: 'requestsPerMinute', min: 1, max: 1_000_000, about: 'model requests per minute' },
  { key: 'maxConcurrentTurns', min: 1, max: 256, about: 'turns run at once' },
  { key: 'maxApiKeys', min: 1, max: 10_000, about: 'unrevoked API keys' },
  { key: 'maxConversations', min: 1, max: INT4_MAX, about: 'conversations' },
  { key: 'maxAssistants', min: 1, max: 100_000, about: 'assistants' },
  { key: 'maxInboundHooks', min: 1, max: 10_000, about: 'inbound webhook URLs' },
  { key: 'maxWebhookEndpoints', min: 1, max: 1_000, about: 'outbound webhook endpoints' },
  { key: 'workspaceBytes', min: 1024 ** 2, max: 1024 * GiB, about: "bytes of one conversation's workspace" },
  { key: 'turnMaxOutputs', min: 1, max: 10_000, about: 'send_message outputs per turn' },
  { key: 'turnMaxOutputBytes', min: 1024, max: GiB, about: 'bytes of output per turn' },
  { key: 'sandboxCpuPercent', min: 1, max: 100 * 1024, about: 'CPU per sandbox, percent of one core' },
  { key: 'retainMessagesDays', min: 1, max: 36_500, about: 'days answered messages are kept' },
  { key: 'retainTurnsDays', min: 1, max: 36_500, about: 'days finished turns are kept' },
  { key: 'retainArchivesDays', min: 1, max: 36_500, about: 'days pre-compaction archives are kept' },
  { key: 'maxActiveTasks', min: 0, max: 1_000_000, about: 'active scheduled tasks' },
  { key: 'taskMinIntervalSeconds', min: 1, max: 86_400 * 365, about: 'seconds between two runs of a task, at least' },
] as const;

export type TenantLimitKey = (typeof tenantLimits)[number]['key'];
