/** At most this many rows of a body are shown (the rest is summed up). */
const MAX_ROWS = 200;
const MAX_TEXT = 300;

/** A JSON value as rows of (path, value): nested objects with dotted paths, arrays with [i]. */
export function flatten(value: unknown, path = '', rows: Array<[string, string]> = []): Array<[string, string]> {
  if (rows.length > MAX_ROWS) return rows;
  if (Array.isArray(value)) {
    if (value.length === 0) rows.push([path || '(root)', '[] (empty list)']);
    value.forEach((item, i) => flatten(item, `${path}[${i}]`, rows));
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) rows.push([path || '(root)', '{} (empty)']);
    for (const [key, item] of entries) flatten(item, path ? `${path}.${key}` : key, rows);
  } else {
    rows.push([path || '(value)', value === null ? 'null' : typeof value === 'string' ? value : String(value)]);
  }
  return rows;
}

/** A body as readable fields, never a raw JSON dump; text that was not JSON is shown as text. */
export function Fields({ value, testId }: { value: unknown; testId?: string }) {
  if (value === undefined) return <p className="muted">None.</p>;
  if (typeof value === 'string') {
    return (
      <>
        <p className="muted">Not JSON; the text as received:</p>
        <pre data-testid={testId}>{value}</pre>
      </>
    );
  }
  const rows = flatten(value);
  return (
    <dl className="fields" data-testid={testId}>
      {rows.slice(0, MAX_ROWS).map(([path, text]) => (
        <div key={path} className="field">
          <dt>{path}</dt>
          <dd title={text.length > MAX_TEXT ? text : undefined}>{text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text}</dd>
        </div>
      ))}
      {rows.length > MAX_ROWS && <p className="muted">… and more fields.</p>}
    </dl>
  );
}
