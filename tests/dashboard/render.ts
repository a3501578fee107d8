// `npm run docs:dashboard`: draws the "keyward service" dashboard from the data the real-Prometheus
// test kept (.data/metrics-test/service-dashboard.json: every panel's queries, answered by
// Prometheus over the test's traffic) into docs/images/keyward-service.png. Grafana cannot be
// installed here, so this is a picture of the panels' data, laid out as the dashboard lays them out,
// not a screenshot. Needs rsvg-convert (Debian's librsvg2-bin) for the PNG; the SVG is kept beside the data.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Panel {
  title: string;
  unit: string;
  series: { legend: string; points: [number, number | null][] }[];
}

interface Kept {
  start: number;
  end: number;
  panels: Panel[];
}

const dataFile = join('.data', 'metrics-test', 'service-dashboard.json');
const svgFile = join('.data', 'metrics-test', 'keyward-service.svg');
const pngFile = join('docs', 'images', 'keyward-service.png');

const columns = 3;
const panelWidth = 540;
const panelHeight = 340;
const gap = 12;
const header = 64;
const palette = ['#73bf69', '#f2cc0c', '#5794f2', '#ff780a', '#f2495c', '#b877d9', '#8ab8ff', '#fade2a', '#96d98d', '#ffa6b0', '#c0d8ff', '#ff9830'];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A value in the panel's unit, as Grafana would show it (roughly). */
function format(value: number, unit: string): string {
  const short = (n: number) => (Math.abs(n) >= 1000 ? `${(n / 1000).toFixed(n >= 10_000 ? 0 : 1)}k` : Number(n.toPrecision(3)).toString());
  if (unit === 's') {
    if (value === 0) return '0';
    if (value < 0.001) return `${Number((value * 1e6).toPrecision(3))} µs`;
    if (value < 1) return `${Number((value * 1000).toPrecision(3))} ms`;
    return `${Number(value.toPrecision(3))} s`;
  }
  if (unit === 'reqps' || unit === 'ops') return `${short(value)}/s`;
  return short(value);
}

/** About four round steps from 0 to max. */
function ticks(max: number): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((factor) => factor * magnitude >= raw) ?? 10) * magnitude;
  return Array.from({ length: Math.ceil(max / step) + 1 }, (_, i) => i * step);
}

function clock(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(11, 19);
}

function drawPanel(panel: Panel, x: number, y: number, start: number, end: number): string {
  const plot = { left: x + 70, top: y + 36, width: panelWidth - 86, height: panelHeight - 36 - 112 };
  const values = panel.series.flatMap((entry) => entry.points.map(([, value]) => value)).filter((value): value is number => value !== null && Number.isFinite(value));
  const steps = ticks(Math.max(0, ...values) * 1.05);
  const top = steps[steps.length - 1] ?? 1;
  const px = (time: number) => plot.left + ((time - start) / (end - start)) * plot.width;
  const py = (value: number) => plot.top + plot.height - (value / top) * plot.height;
  const parts = [
    `<rect x="${x}" y="${y}" width="${panelWidth}" height="${panelHeight}" rx="3" fill="#181b1f" stroke="#2c3235"/>`,
    `<text x="${x + 12}" y="${y + 22}" fill="#ccccdc" font-size="14" font-weight="600">${escape(panel.title)}</text>`,
  ];
  for (const step of steps) {
    parts.push(`<line x1="${plot.left}" x2="${plot.left + plot.width}" y1="${py(step)}" y2="${py(step)}" stroke="#2c3235"/>`);
    parts.push(`<text x="${plot.left - 6}" y="${py(step) + 4}" fill="#8e8e8e" font-size="11" text-anchor="end">${escape(format(step, panel.unit))}</text>`);
  }
  for (let i = 0; i <= 4; i += 1) {
    const time = start + ((end - start) * i) / 4;
    const anchor = i === 0 ? 'start' : i === 4 ? 'end' : 'middle';
    parts.push(`<text x="${px(time)}" y="${plot.top + plot.height + 16}" fill="#8e8e8e" font-size="11" text-anchor="${anchor}">${clock(time)}</text>`);
  }
  // Series with data first (in the legend too): a picture cannot be hovered like a Grafana panel.
  const hasData = (entry: Panel['series'][number]) => entry.points.some(([, value]) => value !== null && value > 0);
  const ordered = [...panel.series.filter(hasData), ...panel.series.filter((entry) => !hasData(entry))];
  ordered.forEach((entry, index) => {
    const color = palette[index % palette.length] ?? '#73bf69';
    // A gap in the data (no sample, or NaN: a quantile of no requests) breaks the line.
    let path = '';
    let drawing = false;
    for (const [time, value] of entry.points) {
      if (value === null || !Number.isFinite(value)) {
        drawing = false;
        continue;
      }
      path += `${drawing ? 'L' : 'M'}${px(time).toFixed(1)},${py(value).toFixed(1)} `;
      drawing = true;
    }
    if (path) parts.push(`<path d="${path.trim()}" fill="none" stroke="${color}" stroke-width="1.6"/>`);
  });
  const shown = ordered.slice(0, 10);
  shown.forEach((entry, index) => {
    const color = palette[index % palette.length] ?? '#73bf69';
    const lx = x + 16 + (index % 2) * (panelWidth / 2);
    const ly = plot.top + plot.height + 34 + Math.floor(index / 2) * 15;
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="12" height="4" fill="${color}"/>`);
    parts.push(`<text x="${lx + 18}" y="${ly - 3}" fill="#ccccdc" font-size="11">${escape(entry.legend.slice(0, 34))}</text>`);
  });
  if (panel.series.length > shown.length) {
    parts.push(`<text x="${x + panelWidth - 12}" y="${y + panelHeight - 8}" fill="#8e8e8e" font-size="11" text-anchor="end">+${panel.series.length - shown.length} more</text>`);
  }
  if (panel.series.length === 0) parts.push(`<text x="${plot.left + plot.width / 2}" y="${plot.top + plot.height / 2}" fill="#8e8e8e" font-size="13" text-anchor="middle">No data</text>`);
  return parts.join('\n');
}

function main(): void {
  const kept = JSON.parse(readFileSync(dataFile, 'utf8')) as Kept;
  const rows = Math.ceil(kept.panels.length / columns);
  const width = columns * panelWidth + (columns + 1) * gap;
  const height = header + rows * (panelHeight + gap) + gap;
  const panels = kept.panels.map((panel, index) => drawPanel(panel, gap + (index % columns) * (panelWidth + gap), header + Math.floor(index / columns) * (panelHeight + gap), kept.start, kept.end));
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#111217"/>`,
    `<text x="${gap + 4}" y="30" fill="#ccccdc" font-size="20" font-weight="600">keyward service</text>`,
    `<text x="${gap + 4}" y="50" fill="#8e8e8e" font-size="12">${escape(`The dashboard's queries, answered by Prometheus over tests/metrics-prometheus.test.ts (${clock(kept.start)}–${clock(kept.end)} UTC, scraped every second): drawn by tests/dashboard/render.ts, not a Grafana screenshot`)}</text>`,
    ...panels,
    '</svg>',
  ].join('\n');
  writeFileSync(svgFile, svg);
  mkdirSync(join('docs', 'images'), { recursive: true });
  const converted = spawnSync('rsvg-convert', ['--format', 'png', '--output', pngFile, svgFile], { encoding: 'utf8' });
  if (converted.error || converted.status !== 0) {
    process.stderr.write(`wrote ${svgFile}; for the PNG install rsvg-convert (apt-get install librsvg2-bin): ${converted.error?.message ?? converted.stderr}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`wrote ${pngFile} (from ${dataFile})\n`);
}

main();
