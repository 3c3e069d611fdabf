// Runs per hour by outcome, drawn with uPlot, with the same numbers as a table for screen readers
// and for anyone who wants exact figures.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ActivityHour } from '../api/types.ts';

const SERIES: { key: keyof Omit<ActivityHour, 'hour'>; label: string; color: string }[] = [
  { key: 'created', label: 'Created', color: '#8c959f' },
  { key: 'completed', label: 'Completed', color: '#1a7f37' },
  { key: 'failed', label: 'Failed', color: '#cf222e' },
  { key: 'timeout', label: 'Timed out', color: '#bc4c00' },
  { key: 'cancelled', label: 'Cancelled', color: '#9a6700' },
];

export function ActivityChart(props: { hours: ActivityHour[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = [props.hours.map((h) => Date.parse(h.hour) / 1000), ...SERIES.map((s) => props.hours.map((h) => h[s.key]))] as uPlot.AlignedData;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const styles = getComputedStyle(document.documentElement);
    const axisColor = styles.getPropertyValue('--fg-muted').trim() || '#59636e';
    const gridColor = styles.getPropertyValue('--border').trim() || '#d1d9e0';
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } };
    const chart = new uPlot(
      {
        width: el.clientWidth || 600,
        height: 220,
        series: [{}, ...SERIES.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: false } }))],
        axes: [axis, { ...axis, size: 40 }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(4, max)] } },
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      data,
      el,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  }, [props.hours]);

  return (
    <figure class="chart">
      <div ref={box} aria-hidden="true" />
      <figcaption class="muted">Runs created and ended per hour, the last 24 hours (your local time).</figcaption>
      <details>
        <summary>Show as a table</summary>
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Runs per hour</caption>
            <thead>
              <tr>
                <th scope="col">Hour</th>
                {SERIES.map((s) => (
                  <th scope="col" class="num" key={s.key}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.hours.map((h) => (
                <tr key={h.hour}>
                  <th scope="row">{new Date(h.hour).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' })}</th>
                  {SERIES.map((s) => (
                    <td class="num" key={s.key}>
                      {h[s.key]}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
