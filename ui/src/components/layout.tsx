// The frame around every signed-in page: a skip link, the header with navigation, the workspace
// picker, the theme and sign-out, and the main landmark.
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../api/client.ts';
import type { Me, Workspace } from '../api/types.ts';
import { me, session, signOut, switchWorkspace } from '../state/session.ts';
import { useResource } from '../state/live.ts';
import { Field, FormError, useSubmit } from './form.tsx';

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/runs', 'Runs'],
  ['/jobs', 'Jobs'],
  ['/schedules', 'Schedules'],
  ['/workers', 'Workers'],
  ['/credentials', 'Credentials'],
  ['/skills', 'Skills'],
  ['/settings/keys', 'API keys'],
  ['/settings/members', 'Members'],
];

function current(path: string, href: string): boolean {
  return href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
}

export function Layout(props: { children: ComponentChildren }) {
  const { path } = useLocation();
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          Flight Control
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([href, label]) => (
              <li key={href}>
                <a href={href} aria-current={current(path, href) ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="top-tools">
          <WorkspacePicker />
          <ThemeToggle />
          <span class="who" title={`Signed in as ${me.value?.username ?? ''}`}>
            {me.value?.username} <span class="muted">({me.value?.role})</span>
          </span>
          <button type="button" class="ghost" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}

const NEW = '__new__';

/** Lower-case letters, digits and '-', as the API wants a slug. */
export function slugOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

function WorkspacePicker() {
  const workspaces = useResource<Workspace[]>('/workspaces', ['workspaces']);
  const dialog = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugTouched, setSlugTouched] = useState(false);
  const submit = useSubmit();
  const active = session.value?.workspaceId ?? 'default';
  const go = async (id: string) => {
    const who = await api<Me>('/users/me', { workspace: id });
    switchWorkspace(id, who);
  };
  const list = workspaces.data ?? [];
  const known = list.some((w) => w.id === active);
  return (
    <>
      <select
        aria-label="Workspace"
        value={active}
        onChange={(e) => {
          const value = e.currentTarget.value;
          if (value === NEW) {
            e.currentTarget.value = active;
            setName('');
            setSlug('');
            setSlugTouched(false);
            submit.clear();
            dialog.current?.showModal();
          } else void go(value);
        }}
      >
        {!known && <option value={active}>{active}</option>}
        {list.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
        <option value={NEW}>+ Create workspace…</option>
      </select>
      <dialog ref={dialog} aria-label="Create workspace">
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            void submit.run(async () => {
              const created = await api<Workspace>('/workspaces', { body: { name, slug } });
              dialog.current?.close();
              await workspaces.reload();
              await go(created.id);
            });
          }}
        >
          <h2>Create workspace</h2>
          <Field label="Name" error={submit.fieldError('name')}>
            {(f) => (
              <input
                {...f}
                required
                value={name}
                onInput={(e) => {
                  setName(e.currentTarget.value);
                  if (!slugTouched) setSlug(slugOf(e.currentTarget.value));
                }}
              />
            )}
          </Field>
          <Field label="Slug" hint="Lower-case letters, digits and '-'." error={submit.fieldError('slug')}>
            {(f) => (
              <input
                {...f}
                required
                value={slug}
                onInput={(e) => {
                  setSlugTouched(true);
                  setSlug(e.currentTarget.value);
                }}
              />
            )}
          </Field>
          <FormError submit={submit} shown={['name', 'slug']} />
          <div class="actions">
            <button type="button" class="ghost" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" class="primary" disabled={submit.busy}>
              Create workspace
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

type Theme = 'system' | 'light' | 'dark';
const THEMES: Theme[] = ['system', 'light', 'dark'];

export function applyTheme(theme: Theme = (localStorage.getItem('fc.theme') as Theme | null) ?? 'system'): void {
  if (theme === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme);
}

function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('fc.theme') as Theme | null) ?? 'system');
  return (
    <button
      type="button"
      class="ghost"
      aria-label={`Theme: ${theme}. Change theme`}
      onClick={() => {
        const next = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length]!;
        localStorage.setItem('fc.theme', next);
        applyTheme(next);
        setTheme(next);
      }}
    >
      {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'} <span class="visually-hidden-small">{theme}</span>
    </button>
  );
}
