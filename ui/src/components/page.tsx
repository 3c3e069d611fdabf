// A page's frame: its one h1 (also the document title), actions beside it, and a live region for
// what just happened.
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';

export function Page(props: { title: string; actions?: ComponentChildren; lede?: ComponentChildren; children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${props.title} · Flight Control`;
  }, [props.title]);
  return (
    <>
      <div class="page-head">
        <div>
          <h1>{props.title}</h1>
          {props.lede && <p class="lede">{props.lede}</p>}
        </div>
        {props.actions && <div class="actions">{props.actions}</div>}
      </div>
      {props.children}
    </>
  );
}

export function Section(props: { title: string; actions?: ComponentChildren; children?: ComponentChildren; id?: string }) {
  const id = props.id ?? `s-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section aria-labelledby={id} class="section">
      <div class="section-head">
        <h2 id={id}>{props.title}</h2>
        {props.actions && <div class="actions">{props.actions}</div>}
      </div>
      {props.children}
    </section>
  );
}
