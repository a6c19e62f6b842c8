/* What an audit entry changed: the fields whose value differs between before and after. */
const show = (value: unknown) => (value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value));

export function ChangeSummary({ before, after }: { before: unknown; after: unknown }) {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (before == null && after == null) return <span className="muted">—</span>;
  if (before == null) return <span className="change-added">created {isRecord(after) ? '' : show(after)}</span>;
  if (after == null) return <span className="change-removed">removed</span>;
  if (!isRecord(before) || !isRecord(after))
    return (
      <span>
        {show(before)} → {show(after)}
      </span>
    );
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]) && k !== 'updatedAt',
  );
  if (keys.length === 0) return <span className="muted">no change</span>;
  return (
    <ul className="change-list">
      {keys.map((key) => (
        <li key={key}>
          <span className="mono">{key}</span>: {show(before[key])} → <strong>{show(after[key])}</strong>
        </li>
      ))}
    </ul>
  );
}
