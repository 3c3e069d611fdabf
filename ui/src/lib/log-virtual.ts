// @tanstack/virtual-core for Preact: a virtualizer over a scrolling element, rendering again whenever
// the visible range or the measured sizes change (the wiring of @tanstack/react-virtual, less the
// renders that would draw the same rows again).
import { useLayoutEffect, useReducer, useRef } from 'preact/hooks';
import { elementScroll, observeElementOffset, observeElementRect, Virtualizer } from '@tanstack/virtual-core';

export interface VirtualListOptions {
  count: number;
  getScrollElement: () => HTMLDivElement | null;
  estimateSize: (index: number) => number;
  getItemKey: (index: number) => number | string;
  overscan?: number;
  /** Space above the first item inside the scrolling element. */
  scrollMargin?: number;
}

/**
 * An item's size as its ResizeObserver reports it, once layout is done, for every new item at once.
 * While an item is being drawn (no report yet) its last known size or its estimate stands in: reading
 * its height there would force a layout for each new item of a draw.
 */
function observedSize(element: HTMLDivElement, entry: ResizeObserverEntry | undefined, v: Virtualizer<HTMLDivElement, HTMLDivElement>): number {
  const box = entry?.borderBoxSize?.[0];
  if (box) return Math.round(box.blockSize);
  const index = v.indexFromElement(element);
  return v.itemSizeCache.get(v.options.getItemKey(index)) ?? v.options.estimateSize(index);
}

export function useVirtualizer(options: VirtualListOptions): Virtualizer<HTMLDivElement, HTMLDivElement> {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  // What the last render drew: a change that leaves it as it was (the end of a scroll, a scroll within
  // the rows drawn) renders nothing again.
  const drawn = useRef({ start: -1, end: -1, size: -1 });
  const resolved = {
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    measureElement: observedSize,
    overscan: 8,
    ...options,
    onChange: (v: Virtualizer<HTMLDivElement, HTMLDivElement>) => {
      const d = drawn.current;
      if (v.range?.startIndex !== d.start || v.range?.endIndex !== d.end || v.getTotalSize() !== d.size) rerender(undefined);
    },
  };
  const instance = useRef<Virtualizer<HTMLDivElement, HTMLDivElement> | null>(null);
  if (!instance.current) instance.current = new Virtualizer<HTMLDivElement, HTMLDivElement>(resolved);
  else instance.current.setOptions(resolved);
  useLayoutEffect(() => instance.current!._didMount(), []);
  useLayoutEffect(() => {
    const v = instance.current!;
    v._willUpdate();
    drawn.current = { start: v.range?.startIndex ?? -1, end: v.range?.endIndex ?? -1, size: v.getTotalSize() };
  });
  return instance.current;
}
