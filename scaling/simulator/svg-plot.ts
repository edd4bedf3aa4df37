/**
 * A plain SVG chart of simulation timelines: queue backlog on top, instances
 * below, one line per policy, sharing the time axis. No dependencies; the
 * output renders in any browser and on GitHub.
 */
import type { TimelinePoint } from './simulator.ts';

export interface PlotSeries {
  label: string;
  color: string;
  timeline: TimelinePoint[];
}

const WIDTH = 900;
const PANEL_HEIGHT = 190;
const LEFT = 70;
const RIGHT = 36;
const TOP = 64;
const GAP = 50;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round number ≥ max/ticks, so axis labels read 0, 500, 1000… rather than 0, 437, 874… */
function niceStep(max: number, ticks: number): number {
  const raw = Math.max(max, 1) / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((step) => step >= raw)!;
}

/** Time axis ticks fall on whole minutes and hours. */
const TIME_STEPS = [60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600];

function timeLabel(seconds: number, spanSeconds: number): string {
  return spanSeconds > 4 * 3600 ? `${Math.round(seconds / 3600)} h` : `${Math.round(seconds / 60)} min`;
}

interface Panel {
  top: number;
  title: string;
  value: (p: TimelinePoint) => number;
  /** Instances change in steps; backlog is drawn point to point. */
  stepped: boolean;
}

export function plotTimelines(title: string, series: PlotSeries[]): string {
  const span = Math.max(...series.flatMap((s) => s.timeline.map((p) => p.t)), 1);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (t: number) => LEFT + (t / span) * plotWidth;
  const panels: Panel[] = [
    { top: TOP, title: 'jobs waiting in the queue (backlog)', value: (p) => p.backlog, stepped: false },
    { top: TOP + PANEL_HEIGHT + GAP, title: 'instances (in service + launching)', value: (p) => p.instances, stepped: true },
  ];
  const legendRows = Math.ceil(series.length / 2);
  const height = TOP + 2 * PANEL_HEIGHT + GAP + 40 + 20 * legendRows;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];

  for (const panel of panels) {
    const max = Math.max(...series.flatMap((s) => s.timeline.map(panel.value)), 1);
    const step = niceStep(max, 4);
    const top = Math.ceil(max / step) * step;
    const y = (v: number) => panel.top + PANEL_HEIGHT - (v / top) * PANEL_HEIGHT;
    parts.push(`<text x="${LEFT}" y="${panel.top - 8}" fill="#333">${escapeXml(panel.title)}</text>`);
    for (let v = 0; v <= top; v += step) {
      parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
      parts.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v.toLocaleString('en-US')}</text>`);
    }
    for (const s of series) {
      const points: string[] = [];
      let previous: number | undefined;
      for (const p of s.timeline) {
        const v = panel.value(p);
        if (panel.stepped && previous !== undefined) points.push(`${x(p.t).toFixed(1)},${y(previous).toFixed(1)}`);
        points.push(`${x(p.t).toFixed(1)},${y(v).toFixed(1)}`);
        previous = v;
      }
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6" stroke-opacity="0.85" points="${points.join(' ')}"/>`);
    }
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(0)}" y2="${y(0)}" stroke="#999"/>`);
  }

  const axisY = TOP + 2 * PANEL_HEIGHT + GAP;
  const tickStep = TIME_STEPS.find((step) => step >= span / 8) ?? 21_600;
  for (let t = 0; t <= span; t += tickStep) {
    parts.push(`<text x="${x(t)}" y="${axisY + 16}" text-anchor="middle" fill="#555">${timeLabel(t, span)}</text>`);
  }
  series.forEach((s, i) => {
    const lx = LEFT + (i % 2) * 400;
    const ly = axisY + 32 + Math.floor(i / 2) * 20;
    parts.push(`<rect x="${lx}" y="${ly}" width="14" height="4" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 20}" y="${ly + 6}">${escapeXml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
