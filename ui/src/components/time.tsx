// Times as people read them: relative and ticking, with the exact instant on hover and for screen readers.
import { now } from '../state/live.ts';
import { ago, duration, exactTime } from '../lib/format.ts';

export function Ago(props: { at: string | null | undefined; empty?: string }) {
  if (!props.at) return <span class="muted">{props.empty ?? '—'}</span>;
  return (
    <time dateTime={props.at} title={exactTime(props.at)}>
      {ago(props.at, now.value)}
    </time>
  );
}

export function Duration(props: { from: string | null | undefined; to: string | null | undefined }) {
  if (!props.from) return <span class="muted">—</span>;
  const end = props.to ? Date.parse(props.to) : now.value;
  return <span>{duration(end - Date.parse(props.from))}</span>;
}
