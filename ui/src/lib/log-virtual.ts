// @tanstack/virtual-core for Preact: a virtualizer over a scrolling element, rendering again whenever
// the visible range or the measured sizes change (the same wiring as @tanstack/react-virtual).
import { useLayoutEffect, useReducer, useRef } from 'preact/hooks';
import { elementScroll, measureElement, observeElementOffset, observeElementRect, Virtualizer } from '@tanstack/virtual-core';

export interface VirtualListOptions {
  count: number;
  getScrollElement: () => HTMLDivElement | null;
  estimateSize: (index: number) => number;
  getItemKey: (index: number) => number | string;
  overscan?: number;
}

export function useVirtualizer(options: VirtualListOptions): Virtualizer<HTMLDivElement, HTMLDivElement> {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const resolved = {
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    measureElement,
    overscan: 8,
    ...options,
    onChange: () => rerender(undefined),
  };
  const instance = useRef<Virtualizer<HTMLDivElement, HTMLDivElement> | null>(null);
  if (!instance.current) instance.current = new Virtualizer<HTMLDivElement, HTMLDivElement>(resolved);
  else instance.current.setOptions(resolved);
  useLayoutEffect(() => instance.current!._didMount(), []);
  useLayoutEffect(() => {
    instance.current!._willUpdate();
  });
  return instance.current;
}
