import type { Logger } from '@warren/core';

const WINDOW_MS = 60_000;
const LINES_PER_WINDOW = 20;

/**
 * A rate limit for warnings a sandbox can cause at will: at most LINES_PER_WINDOW lines a
 * minute; what is held back is counted (by message) and reported in one summary line when the
 * next window opens, or on flush().
 */
export class LogBudget {
  private readonly logger: Logger;
  private readonly summary: string;
  private windowStart = Date.now();
  private written = 0;
  private readonly suppressed = new Map<string, number>();

  constructor(logger: Logger, summary: string) {
    this.logger = logger;
    this.summary = summary;
  }

  warn(fields: Record<string, unknown>, message: string): void {
    if (Date.now() - this.windowStart >= WINDOW_MS) this.flush();
    if (this.written < LINES_PER_WINDOW) {
      this.written++;
      this.logger.warn(fields, message);
    } else {
      this.suppressed.set(message, (this.suppressed.get(message) ?? 0) + 1);
    }
  }

  /** Reports what was held back and opens a new window. */
  flush(): void {
    if (this.suppressed.size) this.logger.warn({ suppressed: Object.fromEntries(this.suppressed) }, this.summary);
    this.suppressed.clear();
    this.written = 0;
    this.windowStart = Date.now();
  }
}
