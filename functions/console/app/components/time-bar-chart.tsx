import { useLayoutEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** One stacked part of each bar: its values, one per bucket, and the CSS custom property holding its colour. */
export interface BarSeries {
  label: string;
  colorVar: string;
  values: number[];
}

export interface TimeBarChartProps {
  /** What the chart shows, in words: screen readers read this, not the canvas. */
  summary: string;
  /** Each bucket's start, ms since the epoch, oldest first; buckets may be missing (no bar drawn there). */
  starts: number[];
  bucketMs: number;
  /** The time axis, ms: a bar sits at its bucket's real place on it, wherever the gaps are. */
  from: number;
  to: number;
  series: BarSeries[];
  height?: number;
}

/** Whole-number ticks only: uses and credits are counts. */
const countSteps = [1, 2, 5].flatMap((step) => Array.from({ length: 10 }, (_, power) => step * 10 ** power)).sort((a, b) => a - b);

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The time axis's labels in UTC and 24-hour time, as the rest of the console writes times: "13:00"
 * (with the date, "12-02", under the first one and under each midnight), or the date alone when the
 * ticks are a day or more apart. uPlot's default is the browser's locale (12-hour in the US).
 */
function timeTicks(_plot: uPlot, splits: number[], _axis: number, _space: number, step: number): string[] {
  return splits.map((seconds, index) => {
    const date = new Date(seconds * 1000);
    const day = `${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
    if (step >= 86_400) return index === 0 ? `${day}\n${date.getUTCFullYear()}` : day;
    const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
    return index === 0 || (date.getUTCHours() === 0 && date.getUTCMinutes() === 0) ? `${time}\n${day}` : time;
  });
}

/**
 * uPlot options for bars stacked in series order. Each bar is drawn at its bucket's start (80 % of
 * the bucket wide) on a time axis spanning `from`..`to`, rather than at its index in the data as
 * uPlot's bars do by default: the API leaves empty buckets out, and evenly spaced bars would hide them.
 */
function chartOptions(props: TimeBarChartProps, colors: { series: string[]; ink: string; line: string }, width: number, height: number): uPlot.Options {
  const seconds = props.bucketMs / 1000;
  // Each series' part of a bar runs from the sum of the series below it to that sum plus its own value.
  const tops: number[][] = [];
  props.series.forEach((series, index) => tops.push(series.values.map((value, bucket) => value + (index > 0 ? (tops[index - 1]?.[bucket] ?? 0) : 0))));
  const highest = Math.max(1, ...(tops[tops.length - 1] ?? [0]));
  const at = (values: number[]) => () => values;
  const x0 = props.starts.map((start) => start / 1000 + seconds * 0.1);
  const axis = { stroke: colors.ink, grid: { stroke: colors.line, width: 1 }, ticks: { stroke: colors.line, width: 1 } };
  return {
    width,
    height,
    legend: { show: false },
    // The table beside the chart holds every number; the chart is not interactive (no zoom, no hover).
    cursor: { show: false, drag: { x: false, y: false } },
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: {
      x: { time: true, range: () => [props.from / 1000, props.to / 1000] },
      y: { range: () => [0, Math.ceil(highest * 1.1)] },
    },
    axes: [
      { ...axis, values: timeTicks, label: 'UTC', labelSize: 20 },
      { ...axis, incrs: countSteps, values: (_, ticks) => ticks.map((tick) => tick.toLocaleString('en')), size: 56 },
    ],
    series: [
      {},
      ...props.series.map((series, index) => ({
        label: series.label,
        width: 0,
        fill: colors.series[index] ?? colors.ink,
        points: { show: false },
        paths: uPlot.paths.bars?.({
          disp: {
            x0: { unit: 1, values: at(x0) },
            size: { unit: 1, values: at([seconds * 0.8]) },
            y0: { unit: 1, values: at(index > 0 ? (tops[index - 1] ?? []) : series.values.map(() => 0)) },
            y1: { unit: 1, values: at(tops[index] ?? []) },
          },
        }),
      })),
    ],
  };
}

/**
 * Counts over time as stacked bars, drawn by uPlot on a canvas (its only styles are set through the
 * CSSOM, which the console's CSP allows, and uPlot's stylesheet is bundled into styles.css). The
 * element carries role="img" and a text summary; the numbers themselves are in a table beside it.
 */
export function TimeBarChart(props: TimeBarChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const height = props.height ?? 220;
  // A layout effect: the plot is drawn in the same commit as its element, at the width the element has
  // then (a plain effect runs a frame later, so the element stood empty, or was measured before its layout).
  useLayoutEffect(() => {
    const element = host.current;
    if (!element) return undefined;
    // Colours come from the stylesheet (custom properties), so the legend's swatches and the bars agree.
    const style = getComputedStyle(element);
    const color = (name: string) => style.getPropertyValue(name).trim();
    const colors = { series: props.series.map((series) => color(series.colorVar)), ink: color('--ink'), line: color('--line') };
    const data: uPlot.AlignedData = [props.starts.map((start) => start / 1000), ...props.series.map((series) => series.values)];
    let width = element.clientWidth;
    const plot = new uPlot(chartOptions(props, colors, width, height), data, element);
    const observer = new ResizeObserver(() => {
      if (element.clientWidth === width) return;
      width = element.clientWidth;
      plot.setSize({ width, height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [props.starts, props.series, props.bucketMs, props.from, props.to, height]);
  return <div class="chart" role="img" aria-label={props.summary} ref={host} />;
}
