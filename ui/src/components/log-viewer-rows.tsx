// The log viewer's rows: a raw line, and the structured view's blocks — an assistant message, a tool
// call's card (collapsed to its name, argument and outcome; its arguments and output when opened),
// an error, the completion banner, a note or a line of plain output. Each row starts with its line
// link (#L120).
import { Component, Fragment } from 'preact';
import type { LogView } from '../api/types.ts';
import { argumentSummary, isErrorLine, toolLabel, usageOf, type Block, type LogModel, type ToolBlock } from '../lib/log-model.ts';
import { cost, count } from '../lib/format.ts';

/** Tool output shown in an opened card; the rest is in the raw view and the download. */
const MAX_CARD_LINES = 1_000;

export interface RowContext {
  /** The highlighted line (from #L…), or null. */
  target: number | null;
  onLineLink: (sequence: number, event: MouseEvent) => void;
}

export interface PageRowsProps {
  model: LogModel;
  raw: boolean;
  /** The rows of the page: [from, to). */
  from: number;
  to: number;
  /** The items the rows show when a filter is on (row → index into lines or blocks), else null. */
  indices: readonly number[] | null;
  /** The model's version when drawn: blocks grow in place, so this is what says they changed. */
  version: number;
  /** The current search hit, if it is on this page. */
  hitRow: number | null;
  open: ReadonlySet<number>;
  ctx: RowContext;
  onToggle: (first: number) => void;
}

/**
 * One virtualised page of rows. Drawn again only when what it shows changed, not when the list around
 * it moved or was measured, so a scroll or a resize costs the pages nothing.
 */
export class PageRows extends Component<PageRowsProps> {
  override shouldComponentUpdate(next: PageRowsProps): boolean {
    return (Object.keys(next) as (keyof PageRowsProps)[]).some((k) => next[k] !== this.props[k]);
  }

  override render() {
    return pageRows(this.props);
  }
}

function pageRows(props: PageRowsProps) {
  const { model, ctx } = props;
  const rows = [];
  for (let row = props.from; row < props.to; row++) {
    const index = props.indices ? props.indices[row]! : row;
    const hit = row === props.hitRow;
    if (props.raw) {
      const line = model.lines[index]!;
      rows.push(<RawRow key={line.sequence} line={line} ctx={ctx} row={row} hit={hit} />);
      continue;
    }
    const block = model.blocks[index]!;
    rows.push(
      <div key={block.first} class={hit ? 'log-item is-hit' : 'log-item'} aria-current={hit ? 'true' : undefined} data-row={row}>
        <BlockRow block={block} ctx={ctx} open={props.open.has(block.first)} onToggle={props.onToggle} />
      </div>,
    );
  }
  return <>{rows}</>;
}

export function LineLink(props: { sequence: number; ctx: RowContext }) {
  const current = props.ctx.target === props.sequence;
  return (
    <a class="ln" href={`#L${props.sequence}`} aria-label={`Line ${props.sequence}`} aria-current={current ? 'location' : undefined} onClick={(e) => props.ctx.onLineLink(props.sequence, e)}>
      {props.sequence}
    </a>
  );
}

/** A raw line; in the list, its row number and whether it is the current search hit. */
export function RawRow(props: { line: LogView; ctx: RowContext; row?: number; hit?: boolean }) {
  const l = props.line;
  return (
    <div
      class={`log-raw stream-${l.stream}${isErrorLine(l) ? ' is-error' : ''}${props.ctx.target === l.sequence ? ' is-target' : ''}${props.hit ? ' is-hit' : ''}`}
      data-row={props.row}
      aria-current={props.hit ? 'true' : undefined}
    >
      <LineLink sequence={l.sequence} ctx={props.ctx} />
      <span class="stream">{l.stream}</span>
      <RowText text={l.line} />
    </div>
  );
}

/**
 * A raw line's text on its one row: a line break inside it shows as ↵, since a row of the raw view
 * has a fixed height and a second line would be drawn over the rows below.
 */
export function RowText(props: { text: string }) {
  if (!LINE_BREAK.test(props.text)) return <span class="text">{props.text}</span>;
  return (
    <span class="text">
      {props.text.split(LINE_BREAK).map((part, i) => (
        <Fragment key={i}>
          {i > 0 && (
            <span class="line-break" role="img" aria-label="line break">
              ↵
            </span>
          )}
          {part}
        </Fragment>
      ))}
    </span>
  );
}

/** What starts a new line when drawn: CR LF, LF, a lone CR, and Unicode's line and paragraph separators. */
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/;

export function BlockRow(props: { block: Block; ctx: RowContext; open: boolean; onToggle: (first: number) => void }) {
  const { block, ctx } = props;
  const lines = block.kind === 'message' ? block.lines : block.kind === 'tool' ? null : [block.line];
  const last = block.kind === 'message' ? block.lines[block.lines.length - 1]!.sequence : block.kind === 'tool' ? (block.output[block.output.length - 1]?.sequence ?? block.first) : block.first;
  const targeted = ctx.target !== null && ctx.target >= block.first && ctx.target <= last;
  const cls = `log-block${targeted ? ' is-target' : ''}`;
  switch (block.kind) {
    case 'message':
      return (
        <div class={`${cls} log-message`}>
          <LineLink sequence={block.first} ctx={ctx} />
          {/* One text for the whole message: a long one costs one node, not one a line. */}
          <div class="text">{lines!.map((l) => l.line).join('\n') || '\u00a0'}</div>
        </div>
      );
    case 'tool':
      return <ToolCard block={block} ctx={ctx} open={props.open} onToggle={props.onToggle} class={cls} />;
    case 'error':
      return (
        <div class={`${cls} log-error`}>
          <LineLink sequence={block.first} ctx={ctx} />
          <div class="text">
            <span aria-hidden="true">⚠ </span>
            <strong>Error: </strong>
            {block.line.line.replace(/^error: /, '')}
          </div>
        </div>
      );
    case 'complete': {
      const u = usageOf(block.line);
      return (
        <div class={`${cls} log-complete`}>
          <LineLink sequence={block.first} ctx={ctx} />
          <div class="text">
            <strong>
              <span aria-hidden="true">✓ </span>Agent finished
            </strong>{' '}
            · {count(u.total_tokens)} tokens ({count(u.input_tokens)} in, {count(u.output_tokens)} out) · cost {cost(u.cost_usd)}
          </div>
        </div>
      );
    }
    case 'note':
      return (
        <div class={`${cls} log-note`}>
          <LineLink sequence={block.first} ctx={ctx} />
          <div class="text">{block.line.line}</div>
        </div>
      );
    case 'output':
      return (
        <div class={`${cls} log-output stream-${block.line.stream}`}>
          <LineLink sequence={block.first} ctx={ctx} />
          <div class="text">{block.line.line}</div>
        </div>
      );
  }
}

const STATUS_TEXT = { running: 'running', ok: 'ok', error: 'failed' } as const;
const STATUS_SYMBOL = { running: '◌', ok: '✓', error: '✕' } as const;

function ToolCard(props: { block: ToolBlock; ctx: RowContext; open: boolean; onToggle: (first: number) => void; class: string }) {
  const { block, ctx, open } = props;
  const { tool, extension } = toolLabel(block.name);
  const summary = argumentSummary(block.args);
  const bodyId = `tool-${block.first}`;
  const shown = block.output.slice(0, MAX_CARD_LINES);
  return (
    <div class={`${props.class} tool-card tool-${block.status}`}>
      <LineLink sequence={block.first} ctx={ctx} />
      <div class="tool-main">
        <button type="button" class="tool-head" aria-expanded={open} aria-controls={open ? bodyId : undefined} onClick={() => props.onToggle(block.first)}>
          <span class="chevron" aria-hidden="true">
            {open ? '▾' : '▸'}
          </span>
          <span class="tool-name">{tool}</span>
          {summary && <code class="tool-args">{summary}</code>}
          <span class={`tool-status tool-status-${block.status}`}>
            <span aria-hidden="true">{STATUS_SYMBOL[block.status]}</span> {STATUS_TEXT[block.status]}
          </span>
        </button>
        {open && (
          <div class="tool-body" id={bodyId}>
            {extension && <p class="muted small">From the {extension} extension.</p>}
            {block.error && <p class="field-error">{block.error}</p>}
            {block.args !== null && (
              <>
                <h3 class="small">Arguments</h3>
                <pre>{JSON.stringify(block.args, null, 2)}</pre>
              </>
            )}
            <h3 class="small">Output</h3>
            {block.output.length === 0 ? (
              <p class="muted small">{block.status === 'running' ? 'Waiting for the tool…' : 'No output.'}</p>
            ) : (
              <div class="tool-output">
                {shown.map((l) => (
                  <div key={l.sequence} class={`log-raw${isErrorLine(l) ? ' is-error' : ''}${ctx.target === l.sequence ? ' is-target' : ''}`}>
                    <LineLink sequence={l.sequence} ctx={ctx} />
                    <RowText text={l.line} />
                  </div>
                ))}
                {block.output.length > shown.length && <p class="muted small">{(block.output.length - shown.length).toLocaleString()} more lines: see the raw view.</p>}
              </div>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
