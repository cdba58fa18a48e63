import { useQuery } from '@tanstack/react-query';
import { api, type Usage } from '../api.ts';
import { Empty, Loaded } from '../states.tsx';
import { Table } from '../table.tsx';

const W = 640;
const H = 200;
const PAD = 32;

/** Tokens per day as bars, with the monthly budget spread over the month as a daily line. */
function Chart({ usage }: { usage: Usage }) {
  const totals = usage.days.map((d) => d.inputTokens + d.outputTokens);
  const dailyBudget = usage.monthlyTokenBudget === null ? null : usage.monthlyTokenBudget / 30;
  const top = Math.max(1, ...totals, dailyBudget ?? 0);
  const bar = (W - PAD) / Math.max(usage.days.length, 1);
  const y = (v: number) => H - PAD - (v / top) * (H - 2 * PAD);
  return (
    <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="usage-title" className="chart">
      <title id="usage-title">
        Tokens per day over the last {usage.days.length} days with use, most {Math.max(0, ...totals)}
      </title>
      <line x1={PAD} x2={W} y1={H - PAD} y2={H - PAD} className="axis" />
      {usage.days.map((d, i) => (
        <rect
          key={d.day}
          x={PAD + i * bar + 2}
          width={Math.max(bar - 4, 1)}
          y={y(totals[i]!)}
          height={H - PAD - y(totals[i]!)}
          className="bar"
        >
          <title>
            {d.day}: {totals[i]} tokens in {d.requests} requests
          </title>
        </rect>
      ))}
      {dailyBudget !== null ? <line x1={PAD} x2={W} y1={y(dailyBudget)} y2={y(dailyBudget)} className="budget" /> : null}
      <text x={PAD} y={16} className="label">
        {top.toLocaleString()} tokens
      </text>
    </svg>
  );
}

export function UsageView() {
  const usage = useQuery({ queryKey: ['usage'], queryFn: () => api<Usage>('/v1/usage?days=30') });
  return (
    <>
      <h1>Usage</h1>
      <Loaded query={usage} what="usage">
        {(u) => (
          <>
            <p>
              Monthly token budget: {u.monthlyTokenBudget === null ? 'the platform default' : u.monthlyTokenBudget.toLocaleString()}.
              {u.monthlyTokenBudget !== null ? ' The line shows it spread over 30 days.' : ''}
            </p>
            {u.days.length === 0 ? <Empty>No model usage in the last 30 days.</Empty> : <Chart usage={u} />}
            {u.days.length > 0 ? (
              <Table
                caption="Usage per day"
                rows={u.days}
                rowKey={(d) => d.day}
                columns={[
                  { head: 'Day', cell: (d) => d.day },
                  { head: 'Requests', cell: (d) => d.requests },
                  { head: 'Input tokens', cell: (d) => d.inputTokens },
                  { head: 'Output tokens', cell: (d) => d.outputTokens },
                ]}
              />
            ) : null}
          </>
        )}
      </Loaded>
    </>
  );
}
