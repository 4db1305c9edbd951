/** One row of counters (videos, reels or jobs by status). */
export function CounterRow({ title, statuses, values, prefix }: { title: string; statuses: readonly string[]; values?: object; prefix: string }) {
  return (
    <div className="counters" aria-label={title}>
      {statuses.map((status) => (
        <div className="counter" key={status}>
          <div className="label">
            {title}: {status}
          </div>
          <div className="value" data-testid={`${prefix}-${status}`}>
            {values ? String((values as Record<string, number>)[status] ?? 0) : '…'}
          </div>
        </div>
      ))}
    </div>
  );
}
