// A run's log as the viewer shows it: the newest lines held in order, and the same lines grouped into
// blocks for the structured view — assistant messages as text, each tool call as one card with its
// output and outcome, errors, the completion banner, notes and plain output. Built incrementally, so
// a line costs the same whether it is the tenth or the hundred-thousandth; past a cap the oldest lines
// are let go, so following a long run holds a bounded number of them.
import type { LogView } from '../api/types.ts';

/** What a line is, for the kind filter. */
export type LineKind = 'message' | 'tool' | 'error' | 'output' | 'system';

export const KIND_LABELS: Record<LineKind, string> = {
  message: 'Messages',
  tool: 'Tool calls',
  error: 'Errors',
  output: 'Output',
  system: 'System and notes',
};

export type ToolStatus = 'running' | 'ok' | 'error';

interface BlockBase {
  /** The sequence of the block's first line: its key and its line link. */
  first: number;
}

export interface MessageBlock extends BlockBase {
  kind: 'message';
  id: string | null;
  lines: LogView[];
}

export interface ToolBlock extends BlockBase {
  kind: 'tool';
  callId: string | null;
  name: string | null;
  args: unknown;
  request: LogView | null;
  output: LogView[];
  status: ToolStatus;
  error: string | null;
}

export interface LineBlock extends BlockBase {
  /** error: the agent's error; complete: the completion banner; note: system lines and minor events; output: plain stdout/stderr. */
  kind: 'error' | 'complete' | 'note' | 'output';
  line: LogView;
}

export type Block = MessageBlock | ToolBlock | LineBlock;

/** A message block holds at most this many lines; a longer message continues in the next block. */
const MAX_MESSAGE_LINES = 200;
/** Lines held by default: the newest 50,000 (about 10 MiB); older ones are fetched again on demand. */
export const DEFAULT_CAP = 50_000;

export function isErrorLine(line: LogView): boolean {
  return line.event === 'error' || (line.event === 'tool_response' && line.data?.['status'] === 'error');
}

export function kindOf(line: LogView): LineKind {
  if (isErrorLine(line)) return 'error';
  switch (line.event) {
    case 'message':
      return 'message';
    case 'tool_request':
    case 'tool_response':
      return 'tool';
    case null:
      return line.stream === 'system' ? 'system' : 'output';
    default:
      return 'system';
  }
}

/** The kinds a block answers to in the filter (a failed tool call is a tool call and an error). */
export function blockKinds(block: Block): LineKind[] {
  switch (block.kind) {
    case 'message':
      return ['message'];
    case 'tool':
      return block.status === 'error' ? ['tool', 'error'] : ['tool'];
    case 'error':
      return ['error'];
    case 'output':
      return ['output'];
    default:
      return ['system'];
  }
}

/** `developer__shell` → shell (from developer). */
export function toolLabel(name: string | null): { tool: string; extension: string | null } {
  if (!name) return { tool: 'tool call', extension: null };
  const at = name.lastIndexOf('__');
  return at < 0 ? { tool: name, extension: null } : { tool: name.slice(at + 2), extension: name.slice(0, at) };
}

/** The argument a reader wants at a glance: the command, else the path, else the first text argument. */
export function argumentSummary(args: unknown, max = 80): string {
  let text = '';
  if (typeof args === 'string') text = args;
  else if (args && typeof args === 'object' && !Array.isArray(args)) {
    const record = args as Record<string, unknown>;
    const preferred = ['command', 'path', 'url', 'query'].map((k) => record[k]).find((v) => typeof v === 'string');
    text = typeof preferred === 'string' ? preferred : ((Object.values(record).find((v) => typeof v === 'string') as string | undefined) ?? JSON.stringify(args));
  } else if (args !== null && args !== undefined) text = JSON.stringify(args);
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export interface Usage {
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  cost_usd: number | null;
}

export function usageOf(line: LogView): Usage {
  const d = line.data ?? {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return { input_tokens: num(d['input_tokens']), output_tokens: num(d['output_tokens']), total_tokens: num(d['total_tokens']), cost_usd: num(d['cost_usd']) };
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export class LogModel {
  /** The lines held, in sequence order: every line from `first` on. */
  readonly lines: LogView[] = [];
  readonly blocks: Block[] = [];
  /** Bumped on every change, for views to know when to look again. */
  version = 0;
  /**
   * How many lines to hold. Past it by a tenth, the oldest go in one step (at a block's start where
   * one is near), so the cost of letting go is spread over many appends.
   */
  cap: number;
  private readonly blockOfLine: number[] = [];
  private readonly tools = new Map<string, number>();
  private lastTool = -1;

  constructor(cap = DEFAULT_CAP) {
    this.cap = cap;
  }

  /** The sequence of the newest line (0 before any). */
  get last(): number {
    return this.lines[this.lines.length - 1]?.sequence ?? 0;
  }

  /** The sequence of the oldest line held (`last + 1` before any). */
  get first(): number {
    return this.lines[0]?.sequence ?? this.last + 1;
  }

  /** Lines before the oldest held that are not held (sequences start at 1 and have no holes). */
  get notLoaded(): number {
    return this.first - 1;
  }

  /** Adds lines newer than the newest held, in order; older or repeated ones are ignored. Returns how many were added. */
  append(batch: readonly LogView[]): number {
    let added = 0;
    for (const line of batch) {
      if (line.sequence <= this.last) continue;
      this.lines.push(line);
      this.blockOfLine.push(this.place(line));
      added++;
    }
    if (added > 0) this.version++;
    if (this.lines.length > this.cap + Math.ceil(this.cap / 10)) this.evict();
    return added;
  }

  /** Adds lines older than the oldest held (ending just before it), regrouping every block. Returns how many were added. */
  prepend(batch: readonly LogView[]): number {
    const first = this.first;
    const older = batch.filter((l) => l.sequence < first);
    if (older.length === 0) return 0;
    const all = [...older, ...this.lines];
    this.lines.length = 0;
    this.blockOfLine.length = 0;
    this.blocks.length = 0;
    this.tools.clear();
    this.lastTool = -1;
    for (const line of all) {
      this.lines.push(line);
      this.blockOfLine.push(this.place(line));
    }
    this.version++;
    return older.length;
  }

  /** Lets the oldest lines go, down to `cap`; blocks that lose all their lines go with them. */
  private evict(): void {
    let cut = this.lines.length - this.cap;
    // Cut where a block begins, if one begins within a tenth of the cap, so no card loses its head.
    for (let i = cut, end = Math.min(this.lines.length, cut + Math.ceil(this.cap / 10)); i < end; i++) {
      if (this.blocks[this.blockOfLine[i]!]!.first === this.lines[i]!.sequence) {
        cut = i;
        break;
      }
    }
    const from = this.lines[cut]!.sequence;
    this.lines.splice(0, cut);
    this.blockOfLine.splice(0, cut);
    const renumber = new Int32Array(this.blocks.length).fill(-1);
    let kept = 0;
    for (let i = 0; i < this.blocks.length; i++) {
      const block = this.blocks[i]!;
      if (block.first < from && !keepFrom(block, from)) continue;
      renumber[i] = kept;
      this.blocks[kept++] = block;
    }
    this.blocks.length = kept;
    for (let i = 0; i < this.blockOfLine.length; i++) this.blockOfLine[i] = renumber[this.blockOfLine[i]!]!;
    for (const [id, index] of this.tools) {
      if (renumber[index]! < 0) this.tools.delete(id);
      else this.tools.set(id, renumber[index]!);
    }
    this.lastTool = this.lastTool < 0 ? -1 : renumber[this.lastTool]!;
    this.version++;
  }

  /** Index into `lines` of the line with this sequence, or -1. */
  lineIndex(sequence: number): number {
    let lo = 0;
    let hi = this.lines.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.lines[mid]!.sequence;
      if (s === sequence) return mid;
      if (s < sequence) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Index into `blocks` of the block showing the line with this sequence, or -1. */
  blockIndex(sequence: number): number {
    const i = this.lineIndex(sequence);
    return i < 0 ? -1 : (this.blockOfLine[i] ?? -1);
  }

  /** Where the line goes; returns its block's index. */
  private place(line: LogView): number {
    const previous = this.blocks[this.blocks.length - 1];
    switch (line.event) {
      case 'message': {
        const id = str(line.data?.['id']);
        if (previous?.kind === 'message' && previous.id === id && previous.lines.length < MAX_MESSAGE_LINES) {
          previous.lines.push(line);
          return this.blocks.length - 1;
        }
        return this.push({ kind: 'message', first: line.sequence, id, lines: [line] });
      }
      case 'tool_request': {
        const callId = str(line.data?.['id']);
        const name = str(line.data?.['name']);
        const failed = name === null && line.data?.['error'] !== undefined;
        const index = this.push({
          kind: 'tool',
          first: line.sequence,
          callId,
          name,
          args: line.data?.['arguments'] ?? null,
          request: line,
          output: [],
          status: failed ? 'error' : 'running',
          error: failed ? String(line.data?.['error']) : null,
        });
        if (callId) this.tools.set(callId, index);
        this.lastTool = index;
        return index;
      }
      case 'tool_response': {
        const callId = str(line.data?.['id']);
        let index = callId ? (this.tools.get(callId) ?? -1) : this.lastTool;
        if (index < 0) {
          // A response whose call is not in the log (it began before the log was kept): a card of its own.
          index = this.push({ kind: 'tool', first: line.sequence, callId, name: str(line.data?.['name']), args: null, request: null, output: [], status: 'running', error: null });
          if (callId) this.tools.set(callId, index);
        }
        const block = this.blocks[index] as ToolBlock;
        block.output.push(line);
        if (line.data?.['status'] === 'error') {
          block.status = 'error';
          block.error ??= str(line.data?.['error']) ?? line.line;
        } else if (block.status === 'running') block.status = 'ok';
        return index;
      }
      case 'error':
        return this.push({ kind: 'error', first: line.sequence, line });
      case 'complete':
        return this.push({ kind: 'complete', first: line.sequence, line });
      case null:
        return this.push({ kind: line.stream === 'system' ? 'note' : 'output', first: line.sequence, line });
      default:
        return this.push({ kind: 'note', first: line.sequence, line });
    }
  }

  private push(block: Block): number {
    this.blocks.push(block);
    return this.blocks.length - 1;
  }
}

/** Drops a block's lines before `from`; returns whether any are left. */
function keepFrom(block: Block, from: number): boolean {
  switch (block.kind) {
    case 'message':
      block.lines = block.lines.filter((l) => l.sequence >= from);
      block.first = block.lines[0]?.sequence ?? from;
      return block.lines.length > 0;
    case 'tool':
      if (block.request && block.request.sequence < from) block.request = null;
      block.output = block.output.filter((l) => l.sequence >= from);
      block.first = block.request?.sequence ?? block.output[0]?.sequence ?? from;
      return block.request !== null || block.output.length > 0;
    default:
      return false;
  }
}

/** The lines a block shows, in order. */
export function blockLines(block: Block): LogView[] {
  switch (block.kind) {
    case 'message':
      return block.lines;
    case 'tool':
      return block.request ? [block.request, ...block.output] : block.output;
    default:
      return [block.line];
  }
}

export interface LogFilter {
  /** Case-insensitive text to look for; empty matches everything. */
  text: string;
  /** The one kind to show, or null for every kind. */
  kind: LineKind | null;
}

export const NO_FILTER: LogFilter = { text: '', kind: null };

export function isFiltering(filter: LogFilter): boolean {
  return filter.text.trim() !== '' || filter.kind !== null;
}

export function lineMatches(line: LogView, filter: LogFilter): boolean {
  if (filter.kind && kindOf(line) !== filter.kind && !(filter.kind === 'tool' && (line.event === 'tool_request' || line.event === 'tool_response'))) return false;
  const needle = filter.text.trim().toLowerCase();
  return needle === '' || line.line.toLowerCase().includes(needle);
}

export function blockMatches(block: Block, filter: LogFilter): boolean {
  if (filter.kind && !blockKinds(block).includes(filter.kind)) return false;
  const needle = filter.text.trim().toLowerCase();
  if (needle === '') return true;
  if (block.kind === 'tool' && `${block.name ?? ''} ${argumentSummary(block.args, 1000)}`.toLowerCase().includes(needle)) return true;
  return blockLines(block).some((l) => l.line.toLowerCase().includes(needle));
}

/** The indices of the items that pass a filter, as of `scanned` items; `key` names the filter and `first` the oldest item held then. */
export interface Matches {
  key: readonly unknown[];
  first: number;
  scanned: number;
  indices: number[];
}

/**
 * Brings `previous` up to date with `items`: only the items appended since (and the last one looked
 * at, which may have grown) are looked at, unless the filter changed or the oldest items were let go.
 */
export function updateMatches<T>(previous: Matches | null, key: readonly unknown[], first: number, items: readonly T[], matches: (item: T) => boolean): Matches {
  const same = previous !== null && previous.first === first && previous.key.length === key.length && previous.key.every((k, i) => k === key[i]);
  const from = same ? Math.max(0, previous.scanned - 1) : 0;
  const indices = same ? previous.indices : [];
  while (indices.length > 0 && indices[indices.length - 1]! >= from) indices.pop();
  for (let i = from; i < items.length; i++) if (matches(items[i]!)) indices.push(i);
  return { key, first, scanned: items.length, indices };
}

/** The lines as plain text, one `[stream] line` per line, as the downloaded log has them. */
export function linesAsText(lines: readonly LogView[]): string {
  return lines.map((l) => `[${l.stream}] ${l.line}`).join('\n');
}

/** `#L120` → 120; anything else → null. */
export function lineFromHash(hash: string): number | null {
  const m = /^#L(\d+)$/.exec(hash);
  return m ? Number(m[1]) : null;
}
