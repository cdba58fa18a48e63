import { type ControlDb, controlSchema } from '@warren/db';
import { and, asc, eq, gte, sql, sum } from 'drizzle-orm';

const { usage } = controlSchema;

export interface UsageDay {
  day: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
}

/** The tenant's metered model usage per day over the last `days` days, oldest first (days without use left out). */
export async function usageByDay(db: ControlDb, tenantId: string, days: number): Promise<UsageDay[]> {
  const rows = await db
    .select({
      day: usage.day,
      requests: sum(usage.requests).mapWith(Number),
      inputTokens: sum(usage.inputTokens).mapWith(Number),
      outputTokens: sum(usage.outputTokens).mapWith(Number),
    })
    .from(usage)
    .where(and(eq(usage.tenantId, tenantId), gte(usage.day, sql`current_date - ${days - 1}::int`)))
    .groupBy(usage.day)
    .orderBy(asc(usage.day));
  return rows;
}
