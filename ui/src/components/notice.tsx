// What a page says instead of its content: loading, empty, or what went wrong.
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api/client.ts';

export function ErrorNotice(props: { error: ApiError | Error | null | undefined; what?: string }) {
  if (!props.error) return null;
  return (
    <div class="notice error" role="alert">
      {props.what ? `${props.what}: ` : ''}
      {props.error.message}
    </div>
  );
}

export function Loading(props: { what?: string }) {
  return (
    <p class="muted" role="status">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>;
}

/** Loading, error or the content, for a resource fetched by `useResource`/`useList`. */
export function Loaded<T>(props: { resource: { data: T | undefined; error: ApiError | null; loading: boolean }; what: string; children: (data: T) => ComponentChildren }) {
  const { data, error } = props.resource;
  if (data === undefined) return error ? <ErrorNotice error={error} what={`Could not load ${props.what}`} /> : <Loading what={props.what} />;
  return (
    <>
      {error && <ErrorNotice error={error} what={`Could not refresh ${props.what}`} />}
      {props.children(data)}
    </>
  );
}
