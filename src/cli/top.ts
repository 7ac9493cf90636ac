// `trellis top`: a live terminal view of services (requests/s, error rates, p50/p99 latency,
// target health), from the API port's GET /metrics (unsigned) polled every --interval seconds.
// Rates and quantiles come from the difference between two scrapes, as PromQL's rate() and
// histogram_quantile() would compute them. Plain ANSI escape codes, no dependencies: alternate
// screen, hidden cursor, redraw in place, a layout that fits process.stdout.columns.
import { parseArgs } from 'node:util';
import { histogramQuantile, parseExposition, type Sample } from '../observe/exposition.ts';

export const TOP_HELP = `Usage: trellis top [options]

  --endpoint URL     Trellis API (default http://127.0.0.1:8470); /metrics is read from it
  --interval SECONDS how often to refresh (default 1)

Keys: q or Ctrl-C quits. Without a terminal, prints one table and exits.`;

// ---------------------------------------------------------------------------------------------
// The model: pure functions from scrapes to rows.

export interface ServiceTotals {
  service: string;
  name: string;
  requests: number;
  c4xx: number;
  c5xx: number;
  /** Cumulative RequestTime buckets (le in seconds -> count), summed over the service's series. */
  buckets: Map<number, number>;
  healthy: number;
  unhealthy: number;
  hasHealth: boolean;
}

export interface Scrape {
  /** ms since epoch */
  at: number;
  services: Map<string, ServiceTotals>;
  revision?: number;
  logLagSeconds?: number;
  logDropped?: number;
}

/** Sums a scrape's samples per service (the `service` label). */
export function summarize(samples: readonly Sample[], at: number): Scrape {
  const services = new Map<string, ServiceTotals>();
  const of = (s: Sample): ServiceTotals | undefined => {
    const arn = s.labels.service;
    if (!arn) return undefined;
    let t = services.get(arn);
    if (!t) services.set(arn, (t = { service: arn, name: s.labels.service_name || arn.slice(arn.lastIndexOf('/') + 1), requests: 0, c4xx: 0, c5xx: 0, buckets: new Map(), healthy: 0, unhealthy: 0, hasHealth: false }));
    return t;
  };
  const scrape: Scrape = { at, services };
  for (const s of samples) {
    switch (s.name) {
      case 'lattice_total_request_count_total': { const t = of(s); if (t) t.requests += s.value; break; }
      case 'lattice_http_code_4xx_count_total': { const t = of(s); if (t) t.c4xx += s.value; break; }
      case 'lattice_http_code_5xx_count_total': { const t = of(s); if (t) t.c5xx += s.value; break; }
      case 'lattice_request_time_seconds_bucket': {
        const t = of(s);
        const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
        if (t && !Number.isNaN(le)) t.buckets.set(le, (t.buckets.get(le) ?? 0) + s.value);
        break;
      }
      case 'trellis_healthy_host_count': { const t = of(s); if (t) { t.healthy += s.value; t.hasHealth = true; } break; }
      case 'trellis_unhealthy_host_count': { const t = of(s); if (t) { t.unhealthy += s.value; t.hasHealth = true; } break; }
      case 'trellis_snapshot_revision': scrape.revision = s.value; break;
      case 'trellis_log_delivery_lag_seconds': scrape.logLagSeconds = s.value; break;
      case 'trellis_log_records_dropped_total': scrape.logDropped = s.value; break;
    }
  }
  return scrape;
}

export interface Row {
  service: string;
  name: string;
  /** undefined until two scrapes are known */
  rps?: number;
  /** (4xx + 5xx) / total and 5xx / total over the interval; undefined without requests. */
  errorRate?: number;
  serverErrorRate?: number;
  /** seconds */
  p50?: number;
  p99?: number;
  healthy: number;
  unhealthy: number;
  hasHealth: boolean;
}

/** A counter's increase; a smaller value means it restarted from 0 (Trellis restarted). */
const increase = (prev: number | undefined, cur: number) => (prev === undefined ? cur : cur >= prev ? cur - prev : cur);

/** One row per service of `cur`, busiest first (then by name). */
export function computeRows(prev: Scrape | undefined, cur: Scrape): Row[] {
  const seconds = prev ? (cur.at - prev.at) / 1000 : 0;
  const rows: Row[] = [];
  for (const t of cur.services.values()) {
    const row: Row = { service: t.service, name: t.name, healthy: t.healthy, unhealthy: t.unhealthy, hasHealth: t.hasHealth };
    if (prev && seconds > 0) {
      const p = prev.services.get(t.service);
      const reset = p !== undefined && t.requests < p.requests;
      const d = (a: number | undefined, b: number) => (reset ? b : increase(a, b));
      const requests = d(p?.requests, t.requests);
      row.rps = requests / seconds;
      if (requests > 0) {
        row.errorRate = (d(p?.c4xx, t.c4xx) + d(p?.c5xx, t.c5xx)) / requests;
        row.serverErrorRate = d(p?.c5xx, t.c5xx) / requests;
        const deltas = [...t.buckets].map(([le, count]) => ({ le, count: d(p?.buckets.get(le), count) }));
        const p50 = histogramQuantile(0.5, deltas);
        const p99 = histogramQuantile(0.99, deltas);
        if (!Number.isNaN(p50)) row.p50 = p50;
        if (!Number.isNaN(p99)) row.p99 = p99;
      }
    }
    rows.push(row);
  }
  return rows.sort((a, b) => (b.rps ?? 0) - (a.rps ?? 0) || a.name.localeCompare(b.name));
}

// ---------------------------------------------------------------------------------------------
// The view: lines of plain text with optional colour, each at most `width` columns.

export function formatRate(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n >= 10000) return `${(n / 1000).toFixed(1)}k`;
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

export function formatPercent(r: number | undefined): string {
  return r === undefined ? '-' : `${(r * 100).toFixed(1)}%`;
}

export function formatSeconds(s: number | undefined): string {
  if (s === undefined) return '-';
  if (s < 0.001) return `${(s * 1e6).toFixed(0)}µs`;
  if (s < 1) return `${(s * 1000).toFixed(1)}ms`;
  return `${s.toFixed(2)}s`;
}

const SGR = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', inverse: '\x1b[7m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m' };

interface Column { title: string; width: number; cell(r: Row): string; colour?(r: Row): string | undefined }

const errColour = (r: number | undefined) => (r === undefined || r === 0 ? undefined : r >= 0.05 ? SGR.red : SGR.yellow);
const COLUMNS: readonly Column[] = [
  { title: 'REQ/S', width: 9, cell: (r) => formatRate(r.rps) },
  { title: 'ERR%', width: 7, cell: (r) => formatPercent(r.errorRate), colour: (r) => errColour(r.errorRate) },
  { title: '5XX%', width: 7, cell: (r) => formatPercent(r.serverErrorRate), colour: (r) => errColour(r.serverErrorRate) },
  { title: 'P50', width: 9, cell: (r) => formatSeconds(r.p50) },
  { title: 'P99', width: 9, cell: (r) => formatSeconds(r.p99) },
  {
    title: 'TARGETS', width: 8, cell: (r) => (r.hasHealth ? `${r.healthy}/${r.healthy + r.unhealthy}` : '-'),
    colour: (r) => (!r.hasHealth ? undefined : r.unhealthy === 0 ? SGR.green : r.healthy === 0 ? SGR.red + SGR.bold : SGR.yellow),
  },
];
/** Dropped first when the terminal is narrow. */
const DROP_ORDER = ['5XX%', 'P50', 'TARGETS', 'P99', 'ERR%'];
const MIN_NAME = 12;

/** The columns that fit `width` beside a service name of at least MIN_NAME columns. */
export function fitColumns(width: number): Column[] {
  let cols = [...COLUMNS];
  const need = (c: Column[]) => MIN_NAME + c.reduce((n, col) => n + 1 + col.width, 0);
  for (const title of DROP_ORDER) {
    if (need(cols) <= width) break;
    cols = cols.filter((c) => c.title !== title);
  }
  return cols;
}

const fit = (text: string, width: number) => (text.length <= width ? text : width <= 1 ? text.slice(0, width) : text.slice(0, width - 1) + '…');

export interface View {
  endpoint: string;
  rows: readonly Row[];
  scrape?: Scrape;
  error?: string;
  width: number;
  height: number;
  colour: boolean;
  /** A live screen: padded to `height`, with the key help at the bottom. */
  interactive: boolean;
  now: Date;
}

/** The screen, line by line; no line is wider than view.width. */
export function renderFrame(v: View): string[] {
  const paint = (code: string | undefined, text: string) => (v.colour && code ? code + text + SGR.reset : text);
  const width = Math.max(20, v.width);
  const cols = fitColumns(width);
  const fixed = cols.reduce((n, c) => n + 1 + c.width, 0);
  const nameWidth = Math.max(MIN_NAME, Math.min(width - fixed, Math.max(7, ...v.rows.map((r) => r.name.length))));
  const lines: string[] = [];

  const clock = v.now.toTimeString().slice(0, 8);
  const title = fit(`trellis top  ${v.endpoint}${v.scrape?.revision !== undefined ? `  revision ${v.scrape.revision}` : ''}`, width - clock.length - 1);
  lines.push(paint(SGR.bold, title) + ' '.repeat(width - title.length - clock.length) + clock);
  if (v.error) {
    lines.push(paint(SGR.red, fit(v.error, width)));
  } else if (!v.scrape) {
    lines.push(fit('waiting for the first scrape…', width));
  } else {
    // Rates weighted by each service's requests/s: the error share of all requests.
    let rps = 0, errors = 0, e5xx = 0;
    for (const r of v.rows) {
      if (r.rps === undefined) continue;
      rps += r.rps;
      errors += (r.errorRate ?? 0) * r.rps;
      e5xx += (r.serverErrorRate ?? 0) * r.rps;
    }
    const logs = v.scrape.logLagSeconds !== undefined ? `  log lag ${formatSeconds(v.scrape.logLagSeconds)}, dropped ${v.scrape.logDropped ?? 0}` : '';
    const totals = `${v.rows.length} services  ${formatRate(rps)} req/s  errors ${formatPercent(rps ? errors / rps : undefined)}  5xx ${formatPercent(rps ? e5xx / rps : undefined)}${logs}`;
    lines.push(fit(totals, width));
  }
  lines.push('');
  const header = 'SERVICE'.padEnd(nameWidth) + cols.map((c) => ' ' + c.title.padStart(c.width)).join('');
  lines.push(paint(SGR.inverse, header.padEnd(width)));

  const room = v.interactive ? Math.max(0, v.height - lines.length - 1) : Infinity;
  const shown = v.rows.length > room ? v.rows.slice(0, Math.max(0, room - 1)) : v.rows;
  for (const r of shown) {
    lines.push(fit(r.name, nameWidth).padEnd(nameWidth) + cols.map((c) => ' ' + paint(c.colour?.(r), fit(c.cell(r), c.width).padStart(c.width))).join(''));
  }
  if (shown.length < v.rows.length) lines.push(paint(SGR.dim, `… ${v.rows.length - shown.length} more`));
  if (!v.interactive) return lines;
  while (lines.length < v.height - 1) lines.push('');
  lines.push(paint(SGR.dim, fit('q quit', width)));
  return lines.slice(0, Math.max(1, v.height));
}

// ---------------------------------------------------------------------------------------------
// The command: poll, draw, quit on q / Ctrl-C, and always give the terminal back as it was.

const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[0m\x1b[?25h\x1b[?1049l';

function metricsUrl(endpoint: string): string {
  const u = new URL(endpoint);
  if (!u.pathname.endsWith('/metrics')) u.pathname = u.pathname.replace(/\/$/, '') + '/metrics';
  return u.toString();
}

async function scrapeOnce(url: string, timeoutMs: number): Promise<Scrape> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const text = await res.text();
  return summarize(parseExposition(text), Date.now());
}

export async function topCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      endpoint: { type: 'string', default: 'http://127.0.0.1:8470' },
      interval: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void console.log(TOP_HELP);
  const interval = Number(values.interval);
  if (!Number.isFinite(interval) || interval < 0.1 || interval > 3600) throw new Error(`--interval needs seconds between 0.1 and 3600, got "${values.interval}"`);
  let url: string;
  try {
    url = metricsUrl(values.endpoint);
  } catch {
    throw new Error(`--endpoint needs a URL such as http://127.0.0.1:8470, got "${values.endpoint}"`);
  }
  const timeoutMs = Math.max(1000, interval * 1000);
  const out = process.stdout;

  if (!out.isTTY) {
    // No terminal (a pipe, a file): one table from two scrapes an interval apart.
    const first = await scrapeOnce(url, timeoutMs);
    await new Promise((r) => setTimeout(r, interval * 1000));
    const second = await scrapeOnce(url, timeoutMs);
    const lines = renderFrame({ endpoint: values.endpoint, rows: computeRows(first, second), scrape: second, width: out.columns || 100, height: 0, colour: false, interactive: false, now: new Date() });
    out.write(lines.join('\n') + '\n');
    return;
  }

  let prev: Scrape | undefined;
  let cur: Scrape | undefined;
  let error: string | undefined;
  let inFlight = false;
  let done = false;
  let timer: NodeJS.Timeout | undefined;

  const draw = () => {
    if (done) return;
    const lines = renderFrame({
      endpoint: values.endpoint, rows: cur ? computeRows(prev, cur) : [], scrape: cur, error,
      width: out.columns || 80, height: out.rows || 24, colour: true, interactive: true, now: new Date(),
    });
    // Home, each line then erase to its end, erase below: no flicker, no scrolling.
    out.write('\x1b[H' + lines.map((l) => l + '\x1b[K').join('\r\n') + '\x1b[J');
  };
  const poll = async () => {
    if (inFlight || done) return;
    inFlight = true;
    try {
      const next = await scrapeOnce(url, timeoutMs);
      prev = cur;
      cur = next;
      error = undefined;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      error = `cannot read ${url}: ${cause ?? (err instanceof Error ? err.message : String(err))} (retrying)`;
    } finally {
      inFlight = false;
    }
    draw();
  };

  const stdin = process.stdin;
  const quit = () => {
    if (done) return;
    done = true;
    clearInterval(timer);
    out.off('resize', draw);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
    out.write(LEAVE);
    process.exit(0);
  };
  out.write(ENTER);
  // Whatever happens, the terminal is given back.
  process.once('exit', () => { if (!done) out.write(LEAVE); });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, quit);
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.resume();
  stdin.on('data', (key: Buffer) => {
    // q, Q, Ctrl-C (0x03 arrives as a byte in raw mode, not as SIGINT).
    if (key.includes(0x71) || key.includes(0x51) || key.includes(0x03)) quit();
  });
  out.on('resize', draw);
  timer = setInterval(() => void poll(), interval * 1000);
  draw();
  await poll();
}
