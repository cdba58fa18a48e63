/** Percentile of already collected samples (nearest rank). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = samples.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Prints rows as an aligned text table. */
export function printTable(title: string, rows: Array<Record<string, string | number>>): void {
  const headers = Object.keys(rows[0] ?? {});
  const cell = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => cell(r[h]!).length)));
  // Text left-aligned, numbers right-aligned.
  const line = (values: Array<string | number>) =>
    `| ${values.map((v, i) => (typeof v === 'number' ? cell(v).padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(headers));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(headers.map((h) => r[h]!)));
  console.log('');
}

/** Runs `worker` on `concurrency` lanes for `ms` milliseconds; returns per-operation latencies. */
export async function runFor(ms: number, concurrency: number, worker: (lane: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await worker(lane);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return latencies;
}
