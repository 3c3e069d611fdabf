import { render } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogView } from '../api/types.ts';
import { RawRow } from './log-viewer-rows.tsx';

const ctx = { target: null, onLineLink: () => undefined };
const line = (text: string): LogView => ({ sequence: 7, stream: 'system', line: text, attempt: 1, at: new Date(0).toISOString(), event: null, data: null });

describe('a raw row', () => {
  const host = document.createElement('div');
  afterEach(() => render(null, host));

  it('keeps a line with line breaks on its one row, each break shown as ↵ and named for screen readers', () => {
    render(<RawRow line={line('starting goose\nSave every file\r\nthen\rfinish\u2028done')} ctx={ctx} />, host);
    const text = host.querySelector('.text')!;
    expect(text.textContent).toBe('starting goose↵Save every file↵then↵finish↵done');
    const breaks = [...text.querySelectorAll('.line-break')];
    expect(breaks).toHaveLength(4);
    expect(breaks.every((b) => b.getAttribute('role') === 'img' && b.getAttribute('aria-label') === 'line break')).toBe(true);
  });

  it('shows a line without breaks as it is', () => {
    render(<RawRow line={line('ok 1 - compiles')} ctx={ctx} />, host);
    expect(host.querySelector('.text')!.textContent).toBe('ok 1 - compiles');
    expect(host.querySelector('.line-break')).toBeNull();
  });
});
