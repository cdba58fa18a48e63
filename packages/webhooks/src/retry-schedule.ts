import { z } from 'zod';

/**
 * Seconds to wait before each retry after a failed attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
 * 10 h — eight attempts over about 28 hours (the schedule Svix, the authors of Standard Webhooks,
 * publishes). After the last, the delivery is `failed` and can be sent again by hand.
 */
export const DEFAULT_RETRY_SCHEDULE_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000, 36_000] as const;

/** `WEBHOOK_RETRY_SCHEDULE`: comma-separated seconds, e.g. `5,300,1800`. */
export const retryScheduleSchema = z
  .string()
  .transform((s) => s.split(',').map((part) => Number(part.trim())))
  .pipe(
    z
      .array(
        z
          .number()
          .positive()
          .max(7 * 86_400),
      )
      .max(50),
  );
