// A run's log, live: structured (messages, tool cards, errors, the completion banner) or raw, with
// search and a kind filter, follow mode that pauses when you scroll up, line links (#L120), copy and
// download. Rows are virtualised, so a log of 100,000 lines scrolls as smoothly as one of ten.
import type { JSX } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { download } from '../api/client.ts';
import { blockMatches, isFiltering, KIND_LABELS, lineFromHash, lineMatches, linesAsText, LogModel, matchingIndices, type LineKind, type LogFilter } from '../lib/log-model.ts';
import { followRunLog, type FollowOptions, type StreamState } from '../lib/log-stream.ts';
import { useVirtualizer } from '../lib/log-virtual.ts';
import { BlockRow, RawRow, type RowContext } from './log-viewer-rows.tsx';

type View = 'structured' | 'raw';

const RAW_ROW_PX = 22;
/** Rows per virtualised page: raw lines are all one height, structured entries vary. */
const RAW_PAGE = 32;
const STRUCTURED_PAGE = 8;
const structuredPageSize = () => STRUCTURED_PAGE * 30;
const pageKey = (page: number) => page;
const STATE_TEXT: Record<StreamState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  ended: 'Complete',
  failed: 'Stream failed',
};

export interface LogViewerProps {
  runId: string;
  /** The run had ended when the page opened: its stored log is read once. */
  final: boolean;
  /** Told when the stream announces a status change, for the page to refresh the run. */
  onStatus?: (status: string) => void;
  /** Where lines come from: the run's live stream unless told otherwise (the benchmark feeds its own). */
  source?: (options: FollowOptions) => () => void;
}

export function LogViewer(props: LogViewerProps) {
  const model = useMemo(() => new LogModel(), [props.runId]);
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<{ state: StreamState; detail?: string | undefined }>({ state: 'connecting' });
  const [view, setView] = useState<View>('structured');
  const [search, setSearch] = useState('');
  const [filter, setFilter] = useState<LogFilter>({ text: '', kind: null });
  const [follow, setFollow] = useState(true);
  const [target, setTarget] = useState<number | null>(() => lineFromHash(location.hash));
  const [scrollTo, setScrollTo] = useState<{ sequence: number; nonce: number } | null>(() => {
    const sequence = lineFromHash(location.hash);
    return sequence === null ? null : { sequence, nonce: 0 };
  });
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const [copied, setCopied] = useState<string>('');
  const onStatus = useRef(props.onStatus);
  onStatus.current = props.onStatus;

  // New lines are drawn at most once a frame, however fast they come.
  const frame = useRef(0);
  const redraw = useCallback(() => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setVersion(model.version);
    });
  }, [model]);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  useEffect(() => {
    return (props.source ?? followRunLog)({
      runId: props.runId,
      after: model.last,
      final: props.final,
      onLines: (lines) => {
        model.append(lines);
        redraw();
      },
      onState: (s, detail) => setState({ state: s, detail }),
      onStatus: (s) => onStatus.current?.(s),
    });
    // `final` only decides how the log is first read; a run that ends later keeps its stream to the end.
  }, [model, redraw]);

  // Search waits for a pause in typing.
  useEffect(() => {
    const timer = setTimeout(() => setFilter((f) => (f.text === search ? f : { ...f, text: search })), 150);
    return () => clearTimeout(timer);
  }, [search]);

  // #L120 typed into the address bar, or followed from elsewhere.
  useEffect(() => {
    const onHash = () => {
      const sequence = lineFromHash(location.hash);
      if (sequence === null) return;
      setTarget(sequence);
      setScrollTo({ sequence, nonce: Date.now() });
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const filtering = isFiltering(filter);
  const count = view === 'raw' ? model.lines.length : model.blocks.length;
  // With a filter, the rows shown are the indices that pass it (recomputed at most once a frame).
  const indices = useMemo(
    () => (!filtering ? null : view === 'raw' ? matchingIndices(model.lines, (l) => lineMatches(l, filter)) : matchingIndices(model.blocks, (b) => blockMatches(b, filter))),
    [filtering, filter, view, version, model],
  );
  const rows = indices ? indices.length : count;
  const itemAt = (row: number) => (indices ? indices[row]! : row);

  // Scrolling to a linked line, once it has arrived: its card opened, follow paused.
  const [scrollRow, setScrollRow] = useState<{ row: number; nonce: number } | null>(null);
  useEffect(() => {
    if (!scrollTo || scrollTo.sequence > model.last) return;
    const item = view === 'raw' ? model.lineIndex(scrollTo.sequence) : model.blockIndex(scrollTo.sequence);
    setScrollTo(null);
    if (item < 0) return;
    const block = model.blocks[model.blockIndex(scrollTo.sequence)];
    if (view === 'structured' && block?.kind === 'tool') setOpen((o) => new Set(o).add(block.first));
    const row = indices ? indices.indexOf(item) : item;
    if (row < 0) return;
    setFollow(false);
    setScrollRow({ row, nonce: scrollTo.nonce });
  }, [scrollTo, version, view]);

  const ctx: RowContext = {
    target,
    onLineLink: (sequence, e) => {
      e.preventDefault();
      history.replaceState(history.state, '', `#L${sequence}`);
      setTarget(sequence);
    },
  };
  const toggle = useCallback((first: number) => {
    setOpen((o) => {
      const next = new Set(o);
      if (!next.delete(first)) next.add(first);
      return next;
    });
  }, []);

  const shownLines = () => {
    if (!filtering) return model.lines;
    return model.lines.filter((l) => (view === 'raw' ? lineMatches(l, filter) : model.blocks[model.blockIndex(l.sequence)] && blockMatches(model.blocks[model.blockIndex(l.sequence)]!, filter)));
  };
  const copy = async () => {
    const lines = shownLines();
    try {
      await navigator.clipboard.writeText(linesAsText(lines));
      setCopied(`Copied ${lines.length.toLocaleString()} lines`);
    } catch {
      setCopied('Could not copy: the browser refused the clipboard');
    }
    setTimeout(() => setCopied(''), 2_000);
  };

  const ended = state.state === 'ended' || state.state === 'failed';
  return (
    <div class="log-viewer">
      <div class="log-toolbar">
        <div class="segmented" role="group" aria-label="Log view">
          <button type="button" aria-pressed={view === 'structured'} onClick={() => setView('structured')}>
            Structured
          </button>
          <button type="button" aria-pressed={view === 'raw'} onClick={() => setView('raw')}>
            Raw
          </button>
        </div>
        <input type="search" aria-label="Search the log" placeholder="Search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        <select aria-label="Kind of line" value={filter.kind ?? ''} onChange={(e) => setFilter((f) => ({ ...f, kind: (e.currentTarget.value || null) as LineKind | null }))}>
          <option value="">All kinds</option>
          {(Object.keys(KIND_LABELS) as LineKind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
        <button type="button" aria-pressed={follow} onClick={() => setFollow(!follow)}>
          Follow
        </button>
        <button type="button" class="ghost" onClick={copy}>
          Copy
        </button>
        <button type="button" class="ghost" onClick={() => void download(`/runs/${encodeURIComponent(props.runId)}/logs/download`, `run-${props.runId}.log`)}>
          Download log
        </button>
      </div>
      <p class="log-meta muted small">
        <span role="status" class={`stream-state state-${state.state}`}>
          {STATE_TEXT[state.state]}
          {state.detail ? `: ${state.detail}` : ''}
        </span>
        {' · '}
        {filtering ? `${rows.toLocaleString()} of ${count.toLocaleString()} ${view === 'raw' ? 'lines' : 'entries'} match` : `${model.lines.length.toLocaleString()} lines`}
        <span class="visually-hidden" role="status">
          {copied}
        </span>
        {copied && <span aria-hidden="true"> · {copied}</span>}
      </p>
      <LogList
        key={view}
        view={view}
        model={model}
        rows={rows}
        itemAt={itemAt}
        version={version}
        follow={follow}
        onFollow={setFollow}
        scrollRow={scrollRow}
        ctx={ctx}
        open={open}
        onToggle={toggle}
        empty={filtering ? 'No lines match.' : ended ? 'This run wrote no log.' : 'Waiting for the first line…'}
      />
    </div>
  );
}

interface LogListProps {
  view: View;
  model: LogModel;
  rows: number;
  itemAt: (row: number) => number;
  version: number;
  follow: boolean;
  onFollow: (follow: boolean) => void;
  scrollRow: { row: number; nonce: number } | null;
  ctx: RowContext;
  open: ReadonlySet<number>;
  onToggle: (first: number) => void;
  empty: string;
}

/**
 * Only the rows in view are in the document. The virtualizer works on pages of rows rather than on
 * single rows, so its per-update work grows with the number of pages, not of lines; a page is measured
 * as a whole (an opened tool card makes its page taller). Follow keeps the newest row in view until
 * you scroll up.
 */
function LogList(props: LogListProps) {
  const { model, view, itemAt } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const raw = view === 'raw';
  const perPage = raw ? RAW_PAGE : STRUCTURED_PAGE;
  const pages = Math.ceil(props.rows / perPage);
  const rowsIn = (page: number) => Math.max(0, Math.min(perPage, props.rows - page * perPage));
  // Raw pages are as tall as their lines, known without measuring; the last page's key names its
  // size, so the virtualizer sees it grow. Structured pages are measured.
  const rawKey = useCallback((page: number) => (page === pages - 1 ? `${page}:${rowsIn(page)}` : page), [props.rows]);
  const rawSize = useCallback((page: number) => rowsIn(page) * RAW_ROW_PX, [props.rows]);
  const virtualizer = useVirtualizer({
    count: pages,
    getScrollElement: () => scroller.current,
    estimateSize: raw ? rawSize : structuredPageSize,
    getItemKey: raw ? rawKey : pageKey,
    overscan: 1,
  });

  // Follow: after every change, the end of the log is in view.
  const total = virtualizer.getTotalSize();
  useLayoutEffect(() => {
    const el = scroller.current;
    if (props.follow && el && props.rows > 0) el.scrollTop = el.scrollHeight;
  }, [props.follow, props.rows, props.version, total]);

  // A linked row: its page first, then the row itself once its page is drawn.
  useEffect(() => {
    if (!props.scrollRow) return;
    const row = props.scrollRow.row;
    virtualizer.scrollToIndex(Math.floor(row / perPage), { align: 'start' });
    let tries = 0;
    const settle = () => {
      const el = scroller.current?.querySelector(`[data-row="${row}"]`);
      if (el) el.scrollIntoView({ block: 'center' });
      else if (++tries < 20) requestAnimationFrame(settle);
    };
    requestAnimationFrame(settle);
  }, [props.scrollRow]);

  // Only the reader's own scrolling pauses follow; reaching the end again resumes it.
  const lastInput = useRef(0);
  const lastTop = useRef(0);
  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const fromEnd = el.scrollHeight - el.scrollTop - el.clientHeight;
    if (fromEnd <= 4) {
      if (!props.follow && performance.now() - lastInput.current < 1_000) props.onFollow(true);
    } else if (props.follow && el.scrollTop < lastTop.current - 1 && performance.now() - lastInput.current < 1_000) props.onFollow(false);
    lastTop.current = el.scrollTop;
  };
  const input = () => (lastInput.current = performance.now());

  const items = virtualizer.getVirtualItems();
  return (
    <div class="log-frame">
      <div
        ref={scroller}
        class={`log-scroll ${raw ? 'is-raw' : 'is-structured'}${props.rows === 0 ? ' is-empty' : ''}`}
        role="region"
        aria-label={raw ? 'Log lines' : 'Log entries'}
        tabIndex={0}
        onScroll={onScroll}
        onWheel={input}
        onTouchStart={input}
        onPointerDown={input}
        onKeyDown={input}
      >
        {props.rows === 0 ? (
          <p class="muted log-empty">{props.empty}</p>
        ) : (
          <div class="log-space" style={{ height: `${total}px` }}>
            {items.map((item) => {
              const rows: JSX.Element[] = [];
              for (let row = item.index * perPage; row < Math.min(props.rows, (item.index + 1) * perPage); row++) {
                const index = itemAt(row);
                const block = raw ? null : model.blocks[index]!;
                rows.push(
                  <div key={raw ? model.lines[index]!.sequence : block!.first} class="log-item" data-row={row}>
                    {block ? <BlockRow block={block} ctx={props.ctx} open={props.open.has(block.first)} onToggle={props.onToggle} /> : <RawRow line={model.lines[index]!} ctx={props.ctx} />}
                  </div>,
                );
              }
              return (
                <div key={item.index} class="log-page" data-index={item.index} ref={raw ? undefined : virtualizer.measureElement} style={{ transform: `translateY(${item.start}px)`, ...(raw ? { height: `${item.size}px` } : {}) }}>
                  {rows}
                </div>
              );
            })}
          </div>
        )}
      </div>
      {!props.follow && props.rows > 0 && (
        <button
          type="button"
          class="primary jump-latest"
          onClick={() => {
            props.onFollow(true);
            scroller.current?.focus();
          }}
        >
          Jump to latest <span aria-hidden="true">↓</span>
        </button>
      )}
    </div>
  );
}
