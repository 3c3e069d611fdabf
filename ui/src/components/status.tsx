// A run's or worker's status as a badge: a word and a shape, never colour alone.
const SYMBOL: Record<string, string> = {
  queued: '◌',
  assigned: '◐',
  running: '●',
  completed: '✓',
  failed: '✕',
  timeout: '⏱',
  cancelled: '⊘',
  online: '●',
  busy: '◉',
  draining: '◐',
  offline: '○',
};

export function StatusBadge(props: { status: string }) {
  return (
    <span class={`badge status-${props.status}`}>
      <span aria-hidden="true">{SYMBOL[props.status] ?? '•'}</span> {props.status}
    </span>
  );
}
