// A run's log, live: structured (messages, tool cards, errors, the completion banner) or raw, with
// search that jumps between hits and a kind filter, follow mode that pauses when you scroll up, line
// links (#L120), copy and download. Rows are virtualised, so a log of 100,000 lines scrolls as
// smoothly as one of ten; only the newest lines are held, and earlier ones are read again on demand.
import type { LogView } from '../api/types.ts';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { download } from '../api/client.ts';
import { blockMatches, DEFAULT_CAP, isFiltering, KIND_LABELS, lineFromHash, lineMatches, linesAsText, LogModel, updateMatches, type LineKind, type LogFilter, type Matches } from '../lib/log-model.ts';
import { followRunLog, readRunLog, type FollowOptions, type StreamState } from '../lib/log-stream.ts';
import { useVirtualizer } from '../lib/log-virtual.ts';
import { PageRows, type RowContext } from './log-viewer-rows.tsx';

type View = 'structured' | 'raw';

const RAW_ROW_PX = 22;
/** Rows per virtualised page: raw lines are all one height, structured entries vary. */
const RAW_PAGE = 16;
const STRUCTURED_PAGE = 4;
const structuredPageSize = () => STRUCTURED_PAGE * 30;
const pageKey = (page: number) => page;
/** The row at the top that stands for the lines not held. */
const EARLIER_PX = 40;
/** "Load earlier lines" reads this many; a linked line is read with this many before it. */
const EARLIER_PAGE = 5_000;
const LINK_CONTEXT = 100;
/** Lines held while you read rather than follow (what you loaded stays loaded, up to this). */
const READING_CAP = 4 * DEFAULT_CAP;
/**
 * While lines pour in, the list is drawn at most this often: a draw costs about the same however
 * many lines arrived, and nobody reads faster than this; a lone line is still drawn in the next frame.
 * A draw that took long (a slow or busy machine) spaces the next ones further apart, so drawing
 * takes at most a fifth of the main thread, and no less often than every MAX_REDRAW_MS.
 */
const REDRAW_MS = 100;
/** How long a linked row is scrolled to, at most, while its page is not drawn (unless the reader scrolls). */
const SCROLL_TO_ROW_MS = 30_000;
const MAX_REDRAW_MS = 500;
const DRAW_SHARE = 5;
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
  /** Where lines no longer held are read again: the run's stored log unless told otherwise. */
  readLines?: (after: number, limit: number) => Promise<LogView[]>;
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
  // A line to bring into view once it is held; a linked one (`link`) also has its card opened.
  const [scrollTo, setScrollTo] = useState<{ sequence: number; nonce: number; link: boolean } | null>(() => {
    const sequence = lineFromHash(location.hash);
    return sequence === null ? null : { sequence, nonce: 0, link: true };
  });
  // The current search hit belongs to the filter and view it was found in; any other has none yet.
  const [hitAt, setHitAt] = useState<{ row: number; filter: LogFilter; view: View } | null>(null);
  const [earlier, setEarlier] = useState<{ loading: boolean; error?: string }>({ loading: false });
  const loadingEarlier = useRef(false);
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const [copied, setCopied] = useState<string>('');
  const onStatus = useRef(props.onStatus);
  onStatus.current = props.onStatus;

  // New lines are drawn at most once every REDRAW_MS, in a task of their own: the rows are built
  // there, and laid out by the frame that follows (see LogList's follow).
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const lastDraw = useRef(0);
  const drawGap = useRef(REDRAW_MS);
  const drawing = useRef(false);
  /** The last draw's rendering time, until (while following) the next frame's layout of its rows is added. */
  const renderCost = useRef<number | null>(null);
  const spaceDraws = (cost: number) => (drawGap.current = Math.min(MAX_REDRAW_MS, Math.max(REDRAW_MS, DRAW_SHARE * cost)));
  const laidOut = (ms: number) => {
    if (renderCost.current === null) return;
    spaceDraws(renderCost.current + ms);
    renderCost.current = null;
  };
  const redraw = useCallback(() => {
    if (pending.current !== undefined) return;
    pending.current = setTimeout(
      () => {
        pending.current = undefined;
        lastDraw.current = performance.now();
        drawing.current = true;
        setVersion(model.version);
      },
      Math.max(0, lastDraw.current + drawGap.current - performance.now()),
    );
  }, [model]);
  // The draw's cost, measured once the list (its own layout effects included) is drawn.
  useLayoutEffect(() => {
    if (!drawing.current) return;
    drawing.current = false;
    renderCost.current = performance.now() - lastDraw.current;
    spaceDraws(renderCost.current);
  }, [version]);
  useEffect(() => () => clearTimeout(pending.current), []);
  // Following holds the newest lines only; reading keeps what was loaded, within a larger bound.
  useEffect(() => {
    model.cap = follow ? DEFAULT_CAP : Math.max(model.cap, READING_CAP);
  }, [model, follow]);

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
      setScrollTo({ sequence, nonce: Date.now(), link: true });
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const filtering = isFiltering(filter);
  const count = view === 'raw' ? model.lines.length : model.blocks.length;
  // With a filter, the rows shown are the indices that pass it, brought up to date with each draw.
  const matches = useRef<Matches | null>(null);
  const indices = useMemo(() => {
    if (!filtering) return (matches.current = null);
    const key = [filter, view];
    matches.current =
      view === 'raw' ? updateMatches(matches.current, key, model.first, model.lines, (l) => lineMatches(l, filter)) : updateMatches(matches.current, key, model.first, model.blocks, (b) => blockMatches(b, filter));
    return matches.current.indices;
  }, [filtering, filter, view, version, model]);
  const rows = indices ? indices.length : count;
  const hit = hitAt && hitAt.filter === filter && hitAt.view === view ? hitAt.row : null;

  // Reads the lines from `until` up to the oldest held, and keeps them while you read.
  const read = props.readLines ?? ((after: number, limit: number) => readRunLog(props.runId, after, limit));
  const loadEarlier = async (until: number): Promise<boolean> => {
    const first = model.first;
    const after = Math.max(0, until - 1);
    if (loadingEarlier.current || after >= first - 1) return false;
    loadingEarlier.current = true;
    setEarlier({ loading: true });
    setFollow(false);
    try {
      const lines = await read(after, first - 1 - after);
      model.cap = Math.max(model.cap, model.lines.length + lines.length);
      model.prepend(lines);
      setEarlier({ loading: false });
      setVersion(model.version);
      return true;
    } catch {
      setEarlier({ loading: false, error: 'Could not load earlier lines; the download has the whole log.' });
      return false;
    } finally {
      loadingEarlier.current = false;
    }
  };

  // The page before the oldest line held, with that line kept in view.
  const loadEarlierPage = () => {
    const first = model.first;
    void loadEarlier(first - EARLIER_PAGE).then((loaded) => loaded && setScrollTo({ sequence: first, nonce: Date.now(), link: false }));
  };

  // Scrolling to a line once it has arrived (a linked line no longer held is read again first):
  // a linked line's card opened, follow paused.
  const [scrollRow, setScrollRow] = useState<{ row: number; nonce: number } | null>(null);
  useEffect(() => {
    if (!scrollTo || scrollTo.sequence > model.last || loadingEarlier.current) return;
    if (scrollTo.sequence < model.first) {
      void loadEarlier(scrollTo.sequence - LINK_CONTEXT).then((loaded) => loaded || setScrollTo(null));
      return;
    }
    const item = view === 'raw' ? model.lineIndex(scrollTo.sequence) : model.blockIndex(scrollTo.sequence);
    setScrollTo(null);
    if (item < 0) return;
    const block = model.blocks[model.blockIndex(scrollTo.sequence)];
    if (scrollTo.link && view === 'structured' && block?.kind === 'tool') setOpen((o) => new Set(o).add(block.first));
    const row = indices ? indices.indexOf(item) : item;
    if (row < 0) return;
    setFollow(false);
    setScrollRow({ row, nonce: scrollTo.nonce });
  }, [scrollTo, version, view]);

  // Search hits, one after another (wrapping round): the current one is brought into view and marked.
  const goToHit = (row: number) => {
    setHitAt({ row, filter, view });
    setFollow(false);
    setScrollRow({ row, nonce: Date.now() });
  };
  const stepHit = (by: 1 | -1) => {
    if (rows === 0 || !filtering) return;
    goToHit(hit === null ? (by > 0 ? 0 : rows - 1) : (hit + by + rows) % rows);
  };
  // Enter before the pause in typing searches for what was typed, then goes to its first (or last) hit.
  const stepOnceFiltered = useRef<1 | -1 | null>(null);
  useEffect(() => {
    const by = stepOnceFiltered.current;
    stepOnceFiltered.current = null;
    if (by !== null && rows > 0) goToHit(by > 0 ? 0 : rows - 1);
  }, [filter]);
  const onSearchKey = (e: KeyboardEvent) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const by = e.shiftKey ? -1 : 1;
    if (filter.text === search) return stepHit(by);
    stepOnceFiltered.current = by;
    setFilter((f) => ({ ...f, text: search }));
  };

  const ctx = useMemo<RowContext>(
    () => ({
      target,
      onLineLink: (sequence, e) => {
        e.preventDefault();
        history.replaceState(history.state, '', `#L${sequence}`);
        setTarget(sequence);
      },
    }),
    [target],
  );
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
  const notLoaded = model.notLoaded;
  const unit = view === 'raw' ? 'lines' : 'entries';
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
        <input type="search" aria-label="Search the log" placeholder="Search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} onKeyDown={onSearchKey} />
        {filtering && (
          <div class="segmented hit-nav" role="group" aria-label="Search hits">
            <button type="button" aria-label="Previous hit" title="Previous hit (Shift+Enter)" disabled={rows === 0} onClick={() => stepHit(-1)}>
              <span aria-hidden="true">↑</span>
            </button>
            <span class="hit-count" aria-live="polite">
              {hit === null ? `${rows.toLocaleString()} hits` : `${(hit + 1).toLocaleString()} of ${rows.toLocaleString()}`}
            </span>
            <button type="button" aria-label="Next hit" title="Next hit (Enter)" disabled={rows === 0} onClick={() => stepHit(1)}>
              <span aria-hidden="true">↓</span>
            </button>
          </div>
        )}
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
        {filtering
          ? `${rows.toLocaleString()} of ${count.toLocaleString()} ${unit} match${notLoaded > 0 ? ` (in the loaded lines: ${notLoaded.toLocaleString()} earlier lines are not loaded)` : ''}`
          : notLoaded > 0
            ? `the newest ${model.lines.length.toLocaleString()} of ${model.last.toLocaleString()} lines loaded`
            : `${model.lines.length.toLocaleString()} lines`}
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
        indices={indices}
        version={version}
        follow={follow}
        onFollow={setFollow}
        onLaidOut={laidOut}
        scrollRow={scrollRow}
        hitRow={hit}
        earlier={{ count: notLoaded, ...earlier, onLoad: loadEarlierPage }}
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
  /** Row → index into lines or blocks when a filter is on, else null. */
  indices: readonly number[] | null;
  version: number;
  follow: boolean;
  onFollow: (follow: boolean) => void;
  /** How long the frame's layout of newly drawn rows took, where follow's scroll made it. */
  onLaidOut: (ms: number) => void;
  scrollRow: { row: number; nonce: number } | null;
  /** The current search hit's row, marked. */
  hitRow: number | null;
  /** The lines before the oldest held: how many, and the way to read them. */
  earlier: { count: number; loading: boolean; error?: string | undefined; onLoad: () => void };
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
  const { model, view } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const raw = view === 'raw';
  const perPage = raw ? RAW_PAGE : STRUCTURED_PAGE;
  const pages = Math.ceil(props.rows / perPage);
  const rowsIn = (page: number) => Math.max(0, Math.min(perPage, props.rows - page * perPage));
  // Raw pages are as tall as their lines, known without measuring; the last page's key names its
  // size, so the virtualizer sees it grow. Structured pages are measured.
  const rawKey = useCallback((page: number) => (page === pages - 1 ? `${page}:${rowsIn(page)}` : page), [props.rows]);
  const rawSize = useCallback((page: number) => rowsIn(page) * RAW_ROW_PX, [props.rows]);
  const margin = props.earlier.count > 0 ? EARLIER_PX : 0;
  const virtualizer = useVirtualizer({
    count: pages,
    scrollMargin: margin,
    getScrollElement: () => scroller.current,
    estimateSize: raw ? rawSize : structuredPageSize,
    getItemKey: raw ? rawKey : pageKey,
    // Following, nobody is scrolling: the rows in view are enough.
    overscan: props.follow ? 0 : 1,
  });

  // Only the reader's own scrolling pauses follow; reaching the end again resumes it.
  const lastInput = useRef(0);
  const lastTop = useRef(0);

  // Follow: after every change, the end of the log is in view. The rows are chosen for where the
  // scroll will be, so the scroll that follows finds nothing new to draw.
  const total = virtualizer.getTotalSize();
  if (props.follow && props.rows > 0) virtualizer.scrollOffset = Math.max(0, margin + total - (virtualizer.scrollRect?.height ?? 0));
  // The scroll waits for the frame: made at once, it would lay the new rows out in the task that
  // built them, and the two together make one long task where the frame would lay them out anyway.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!props.follow || !el || props.rows === 0) return;
    const frame = requestAnimationFrame(() => {
      const begun = performance.now();
      el.scrollTop = el.scrollHeight;
      props.onLaidOut(performance.now() - begun);
      // Its scroll event may come in one with the reader's next scroll; this is where that one starts.
      lastTop.current = el.scrollTop;
    });
    return () => cancelAnimationFrame(frame);
  }, [props.follow, props.rows, props.version, total]);

  // A linked row: its page first, then the row itself once its page is drawn.
  // Pages not drawn yet are placed by estimate, so the first scroll may land beside the page; it is
  // asked again every few frames until the row is there or the reader scrolls (a busy machine draws slowly).
  useEffect(() => {
    if (!props.scrollRow) return;
    const row = props.scrollRow.row;
    const toPage = () => virtualizer.scrollToIndex(Math.floor(row / perPage), { align: 'start' });
    toPage();
    const asked = performance.now();
    const until = asked + SCROLL_TO_ROW_MS;
    let tries = 0;
    let frame = 0;
    const settle = () => {
      const el = scroller.current?.querySelector(`[data-row="${row}"]`);
      if (el) el.scrollIntoView({ block: 'center' });
      // Until the reader scrolls elsewhere: a page busy reading a long log may draw few frames.
      else if (performance.now() < until && lastInput.current < asked) {
        if (++tries % 10 === 0) toPage();
        frame = requestAnimationFrame(settle);
      }
    };
    frame = requestAnimationFrame(settle);
    return () => cancelAnimationFrame(frame);
  }, [props.scrollRow]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const fromEnd = el.scrollHeight - el.scrollTop - el.clientHeight;
    if (fromEnd <= 4) {
      // Moved down to the end, not a scroll of follow's own seen late.
      if (!props.follow && el.scrollTop > lastTop.current + 1 && performance.now() - lastInput.current < 1_000) props.onFollow(true);
    } else if (props.follow) {
      const byReader = performance.now() - lastInput.current < 1_000;
      if (byReader && el.scrollTop < lastTop.current - 1) props.onFollow(false);
      // Moved by something else (the browser resetting it, say): following, the end stays in view.
      else if (!byReader) el.scrollTop = el.scrollHeight;
    }
    lastTop.current = el.scrollTop;
  };
  const input = () => (lastInput.current = performance.now());
  // A wheel turned upwards pauses follow at once, whenever its scroll is drawn (and even before
  // follow's own scroll to rows just drawn has been made).
  const onWheel = (e: WheelEvent) => {
    input();
    const el = scroller.current;
    if (e.deltaY < 0 && props.follow && el && el.scrollHeight > el.clientHeight) props.onFollow(false);
  };

  const items = virtualizer.getVirtualItems();
  return (
    <div class="log-frame">
      {/* Before the log in keyboard order (after it, it would come after every line link drawn); shown over its lower corner. */}
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
      <div
        ref={scroller}
        class={`log-scroll ${raw ? 'is-raw' : 'is-structured'}${props.rows === 0 ? ' is-empty' : ''}`}
        role="region"
        aria-label={raw ? 'Log lines' : 'Log entries'}
        tabIndex={0}
        onScroll={onScroll}
        onWheel={onWheel}
        onTouchStart={input}
        onPointerDown={input}
        onKeyDown={input}
      >
        {props.earlier.count > 0 && (
          <div class="log-earlier" style={{ height: `${EARLIER_PX}px` }}>
            <span>
              {props.earlier.error ?? `${props.earlier.count.toLocaleString()} earlier ${props.earlier.count === 1 ? 'line' : 'lines'} not loaded (the download has the whole log).`}
            </span>
            <button type="button" class="ghost" disabled={props.earlier.loading} aria-busy={props.earlier.loading} onClick={props.earlier.onLoad}>
              Load earlier lines
            </button>
          </div>
        )}
        {props.rows === 0 ? (
          <p class="muted log-empty">{props.empty}</p>
        ) : (
          <div class="log-space" style={{ height: `${total}px` }}>
            {items.map((item) => {
              const from = item.index * perPage;
              const to = Math.min(props.rows, from + perPage);
              const hit = props.hitRow !== null && props.hitRow >= from && props.hitRow < to ? props.hitRow : null;
              return (
                <div key={item.index} class="log-page" data-index={item.index} ref={raw ? undefined : virtualizer.measureElement} style={{ transform: `translateY(${item.start - margin}px)`, ...(raw ? { height: `${item.size}px` } : {}) }}>
                  <PageRows model={model} raw={raw} from={from} to={to} indices={props.indices} version={props.version} hitRow={hit} open={props.open} ctx={props.ctx} onToggle={props.onToggle} />
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
