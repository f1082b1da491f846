/**
 * Charts people look at: the loss curve of a training and the per-operation scores of an evaluation, each an
 * SVG built here (axes, ticks, labels, legend, title) and rasterised to PNG by sharp (libvips + librsvg), so
 * chat clients and image viewers show them as pictures. Text uses DejaVu Sans, falling back to any sans-serif
 * font fontconfig finds.
 */
import sharp from 'sharp';

import type { LossPoint } from '../store.js';
import type { OperationScore } from './metrics.js';

const FONT = 'DejaVu Sans, Verdana, sans-serif';
const COLORS = { train: '#1f77b4', val: '#d62728', axis: '#444', grid: '#e3e3e3', text: '#222' };
const LOSS_SIZE = { width: 800, height: 450 };
/** Operations shown in an eval chart; the rest are counted in a last line. */
const MAX_ROWS = 40;

/** XML text: markup characters as references, and control characters (not allowed in XML 1.0) dropped. */
const esc = (s: string): string =>
  [...s]
    .filter((c) => c.charCodeAt(0) >= 0x20 || c === '\t' || c === '\n')
    .join('')
    .replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

/** Round tick steps (1, 2, 5 × 10^k) covering [lo, hi] with about `count` intervals (Heckbert's nice numbers). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  if (ticks.at(-1)! < hi) ticks.push(Number((ticks.at(-1)! + step).toPrecision(12)));
  return ticks;
}

const tickLabel = (v: number): string =>
  Math.abs(v) >= 1000 ? v.toFixed(0) : String(Number(v.toPrecision(4)));

export interface LossChartOptions {
  /** What was trained: the title reads "<title> · <steps> steps". */
  title: string;
  width?: number;
  height?: number;
}

/**
 * Training loss (line) and validation loss (line with dots) against the optimizer step, on linear axes with
 * round ticks from 0, a legend and a title naming the run and its steps.
 */
export function lossChartSvg(history: readonly LossPoint[], o: LossChartOptions): string {
  const { width, height } = { ...LOSS_SIZE, ...o };
  const m = { l: 72, r: 24, t: 52, b: 58 };
  const plot = { x: m.l, y: m.t, w: width - m.l - m.r, h: height - m.t - m.b };
  const xs = niceTicks(0, Math.max(1, ...history.map((p) => p.step)), 8);
  const ys = niceTicks(0, Math.max(1e-6, ...history.flatMap((p) => [p.loss, p.valLoss ?? 0])), 5);
  const px = (s: number): number => plot.x + (s / xs.at(-1)!) * plot.w;
  const py = (v: number): number => plot.y + plot.h - (v / ys.at(-1)!) * plot.h;
  const out = [`<rect width="${width}" height="${height}" fill="white"/>`, ...axes(plot, xs, ys, px, py)];
  out.push(text(plot.x + plot.w / 2, height - 14, 'optimizer step', 'text-anchor="middle" font-size="14"'));
  const yLabel = `text-anchor="middle" font-size="14" transform="translate(20 ${plot.y + plot.h / 2}) rotate(-90)"`;
  out.push(text(0, 0, 'loss (cross-entropy)', yLabel));
  const title = `Loss — ${o.title} · ${history.at(-1)?.step ?? 0} steps`;
  out.push(text(width / 2, 30, title, 'text-anchor="middle" font-size="18" font-weight="bold"'));

  const points = (ps: { s: number; v: number }[]): string =>
    ps.map((p) => `${px(p.s).toFixed(1)},${py(p.v).toFixed(1)}`).join(' ');
  const train = history.map((p) => ({ s: p.step, v: p.loss }));
  const val = history.flatMap((p) => (p.valLoss === undefined ? [] : [{ s: p.step, v: p.valLoss }]));
  out.push(`<polyline points="${points(train)}" fill="none" stroke="${COLORS.train}" stroke-width="2"/>`);
  if (val.length > 0) {
    out.push(`<polyline points="${points(val)}" fill="none" stroke="${COLORS.val}" stroke-width="2"/>`);
    for (const p of val) out.push(dot(px(p.s), py(p.v)));
  }
  // Top right inside the plot: losses fall, so that corner is usually empty.
  out.push(...legend(plot.x + plot.w - 150, plot.y + 12, val.length > 0));
  return svg(width, height, out);
}

type Box = { x: number; y: number; w: number; h: number };

/** Horizontal grid lines with loss labels, step ticks with labels, and the two axis lines. */
function axes(plot: Box, xs: number[], ys: number[], px: (s: number) => number, py: (v: number) => number) {
  const out: string[] = [];
  const bottom = plot.y + plot.h;
  for (const y of ys) {
    out.push(
      `<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${py(y)}" y2="${py(y)}" stroke="${COLORS.grid}"/>`,
    );
    out.push(text(plot.x - 8, py(y) + 4, tickLabel(y), 'text-anchor="end" font-size="12"'));
  }
  for (const x of xs) {
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${bottom}" y2="${bottom + 5}" stroke="${COLORS.axis}"/>`);
    out.push(text(px(x), bottom + 20, tickLabel(x), 'text-anchor="middle" font-size="12"'));
  }
  const corner = `${plot.x},${plot.y} ${plot.x},${bottom} ${plot.x + plot.w},${bottom}`;
  out.push(`<polyline points="${corner}" fill="none" stroke="${COLORS.axis}" stroke-width="1.5"/>`);
  return out;
}

const dot = (x: number, y: number): string =>
  `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${COLORS.val}"/>`;

function legend(x: number, y: number, withVal: boolean): string[] {
  const line = (dy: number, color: string): string =>
    `<line x1="${x}" x2="${x + 28}" y1="${y + dy}" y2="${y + dy}" stroke="${color}" stroke-width="2"/>`;
  const out = [
    `<rect x="${x - 10}" y="${y - 12}" width="152" height="${withVal ? 48 : 28}" fill="white" stroke="${COLORS.grid}"/>`,
    line(0, COLORS.train),
    text(x + 36, y + 4, 'training loss', 'font-size="13"'),
  ];
  if (withVal)
    out.push(
      line(20, COLORS.val),
      dot(x + 14, y + 20),
      text(x + 36, y + 24, 'validation loss', 'font-size="13"'),
    );
  return out;
}

export interface EvalChartInput {
  title: string;
  perOperation: readonly OperationScore[];
}

/**
 * One row per operation: a light bar for endpoint accuracy with a dark bar for exact-call accuracy over it,
 * the two percentages and the task count, and the endpoint most often predicted instead.
 */
export function evalChartSvg(r: EvalChartInput): string {
  const rows = r.perOperation.slice(0, MAX_ROWS);
  const more = r.perOperation.length - rows.length;
  const width = 900;
  const rowH = 24;
  const m = { l: 300, r: 250, t: 84, b: more > 0 ? 40 : 20 };
  const pw = width - m.l - m.r;
  const height = m.t + rows.length * rowH + m.b;
  const out: string[] = [`<rect width="${width}" height="${height}" fill="white"/>`];
  out.push(
    text(width / 2, 26, `Eval — ${r.title}`, 'text-anchor="middle" font-size="18" font-weight="bold"'),
  );
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    const x = m.l + t * pw;
    out.push(
      `<line x1="${x}" x2="${x}" y1="${m.t - 6}" y2="${m.t + rows.length * rowH}" stroke="${COLORS.grid}"/>`,
    );
    out.push(text(x, m.t - 10, `${t * 100}%`, 'text-anchor="middle" font-size="11"'));
  }
  out.push(`<rect x="${m.l}" y="40" width="14" height="10" fill="${COLORS.train}" fill-opacity="0.3"/>`);
  out.push(text(m.l + 20, 49, 'endpoint', 'font-size="12"'));
  out.push(`<rect x="${m.l + 100}" y="40" width="14" height="10" fill="${COLORS.train}"/>`);
  out.push(text(m.l + 120, 49, 'exact call', 'font-size="12"'));
  out.push(text(m.l + pw + 10, 49, 'n · endpoint / exact · confused with', 'font-size="12"'));
  rows.forEach((o, i) => {
    const y = m.t + i * rowH;
    const label = o.operationId ? `${o.operationId}` : o.operation;
    out.push(
      text(
        m.l - 8,
        y + 16,
        label.length > 40 ? `${label.slice(0, 39)}…` : label,
        'text-anchor="end" font-size="12"',
      ),
    );
    out.push(
      `<rect x="${m.l}" y="${y + 4}" width="${(o.endpointAccuracy * pw).toFixed(1)}" height="16" fill="${COLORS.train}" fill-opacity="0.3"/>`,
    );
    out.push(
      `<rect x="${m.l}" y="${y + 8}" width="${(o.exactMatch * pw).toFixed(1)}" height="8" fill="${COLORS.train}"/>`,
    );
    const confused = Object.entries(o.confusedWith).sort((a, b) => b[1] - a[1])[0];
    const pct = (x: number): string => `${Math.round(100 * x)}%`;
    const note = `${o.n} · ${pct(o.endpointAccuracy)} / ${pct(o.exactMatch)}${confused ? ` · ${confused[0]}` : ''}`;
    out.push(
      text(m.l + pw + 10, y + 16, note.length > 40 ? `${note.slice(0, 39)}…` : note, 'font-size="11"'),
    );
  });
  if (more > 0)
    out.push(text(m.l, height - 14, `… ${more} more operations (see the eval output)`, 'font-size="12"'));
  return svg(width, height, out);
}

function svg(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" fill="${COLORS.text}">`,
    ...body,
    '</svg>',
  ].join('\n');
}

/** Rasterises an SVG at its own size. */
export async function svgToPng(svgText: string): Promise<Buffer> {
  return sharp(Buffer.from(svgText)).png({ compressionLevel: 9 }).toBuffer();
}

export const lossChartPng = (history: readonly LossPoint[], o: LossChartOptions): Promise<Buffer> =>
  svgToPng(lossChartSvg(history, o));

export const evalChartPng = (r: EvalChartInput): Promise<Buffer> => svgToPng(evalChartSvg(r));
