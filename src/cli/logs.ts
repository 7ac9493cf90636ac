// `trellis logs tail <group>`: prints the access log records Trellis delivered to a CloudWatch
// Logs log group (JSON lines under <data-dir>/logs/<group>/<day>/<stream>.<n>.log, see
// src/observe/destinations/logs.ts; one stream per subscription, and per worker process with
// `trellis up --workers N`), the last N first, then with --follow every new one as it is
// written, across rotations, new days and new streams. Files are polled (fs.watch does not
// follow new folders portably); a partly written line waits until its newline arrives.
import { parseArgs } from 'node:util';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOG_FILE, logGroupDir } from '../observe/destinations/logs.ts';
import { parseDestination } from '../observe/subscriptions.ts';

const HELP = `Usage: trellis logs tail <log group name or ARN> [options]

Prints the access log records (one JSON object a line) that access log subscriptions delivered
to a CloudWatch Logs log group, as files under <data-dir>/logs/.

  --data-dir DIR    where state lives (default ./.trellis)
  -n, --lines N     print the last N records first (default 10; 0 for none)
  -f, --follow      keep printing records as they arrive (Ctrl-C to stop)`;

export interface TailOptions {
  dataDir: string;
  /** Log group name, or its ARN. */
  group: string;
  /** How many of the existing records to print first. */
  lines: number;
  follow: boolean;
  out: (line: string) => void;
  /** Stops following. */
  signal?: AbortSignal;
  pollMs?: number;
}

interface LogFile { path: string; day: string; mtimeMs: number; size: number }

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The group's files, oldest first: by day, then by last write within a day. */
async function listFiles(dir: string, fromDay = ''): Promise<LogFile[]> {
  const days = (await readdir(dir).catch(() => [] as string[])).filter((d) => DAY.test(d) && d >= fromDay).sort();
  const files: LogFile[] = [];
  for (const day of days) {
    const inDay: LogFile[] = [];
    for (const name of await readdir(join(dir, day)).catch(() => [] as string[])) {
      if (!LOG_FILE.test(name)) continue;
      const path = join(dir, day, name);
      const s = await stat(path).catch(() => undefined);
      if (s) inDay.push({ path, day, mtimeMs: s.mtimeMs, size: s.size });
    }
    inDay.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1));
    files.push(...inDay);
  }
  return files;
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(end - start);
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } finally {
    await fh.close();
  }
}

/** The last `n` complete lines of a file's first `size` bytes, and where its complete lines end. */
async function lastLines(path: string, size: number, n: number): Promise<{ lines: string[]; end: number }> {
  // Read backwards until past n newlines (a line still being written is left for --follow).
  const chunks: Buffer[] = [];
  let start = size;
  let end = -1;
  let newlines = 0;
  while (start > 0 && (end < 0 || newlines <= n)) {
    const from = Math.max(0, start - 64 * 1024);
    const buf = await readRange(path, from, start);
    chunks.unshift(buf);
    start = from;
    for (const byte of buf) if (byte === 0x0a) newlines++;
    if (end < 0) {
      const i = buf.lastIndexOf(0x0a);
      if (i >= 0) end = from + i + 1;
    }
  }
  if (end < 0) return { lines: [], end: 0 };
  if (n <= 0) return { lines: [], end };
  const lines = Buffer.concat(chunks).subarray(0, end - start).toString('utf8').split('\n').slice(0, -1);
  if (start > 0) lines.shift(); // the piece before the first newline read may be a partial line
  return { lines: lines.slice(Math.max(0, lines.length - n)), end };
}

/** Prints a log group's records: the last opts.lines, then (with opts.follow) new ones as they come. */
export async function tailLogGroup(opts: TailOptions): Promise<void> {
  const name = opts.group.startsWith('arn:') ? nameFromArn(opts.group) : opts.group;
  const dir = logGroupDir(opts.dataDir, name);
  const offsets = new Map<string, number>();
  const files = await listFiles(dir);
  const days = [...new Set(files.map((f) => f.day))];
  const lastDay = days.length > 0 ? days[days.length - 1] : '';
  // The last N, newest day first until there are enough. Within a day, the streams (one per
  // subscription and worker process) are merged by the records' startTime, as CloudWatch merges a
  // group's streams by event time; records of one time keep their files' order.
  const picked: string[][] = [];
  let need = opts.lines;
  for (let d = days.length - 1; d >= 0; d--) {
    const dayFiles = files.filter((f) => f.day === days[d]);
    if (need <= 0 && (!opts.follow || days[d] < lastDay)) {
      for (const f of dayFiles) offsets.set(f.path, f.size); // complete: no writer goes back to an earlier day
      continue;
    }
    const candidates: { line: string; time: string; rank: number; i: number }[] = [];
    for (const [rank, f] of dayFiles.entries()) {
      const { lines, end } = await lastLines(f.path, f.size, need);
      offsets.set(f.path, end);
      lines.forEach((line, i) => candidates.push({ line, time: startTimeOf(line), rank, i }));
    }
    if (need > 0) {
      candidates.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.rank - b.rank || a.i - b.i));
      const taken = candidates.slice(Math.max(0, candidates.length - need)).map((c) => c.line);
      picked.unshift(taken);
      need -= taken.length;
    }
  }
  for (const lines of picked) for (const line of lines) opts.out(line);
  if (!opts.follow) return;
  let fromDay = lastDay;
  const pollMs = opts.pollMs ?? 250;
  while (!opts.signal?.aborted) {
    await sleep(pollMs, undefined, { signal: opts.signal }).catch(() => {});
    if (opts.signal?.aborted) return;
    for (const f of await listFiles(dir, fromDay)) {
      fromDay = f.day;
      const at = offsets.get(f.path) ?? 0;
      if (f.size <= at) continue;
      const buf = await readRange(f.path, at, f.size).catch(() => Buffer.alloc(0));
      const end = buf.lastIndexOf(0x0a) + 1;
      if (end === 0) continue;
      offsets.set(f.path, at + end);
      for (const line of buf.subarray(0, end - 1).toString('utf8').split('\n')) opts.out(line);
    }
  }
}

/** A record's startTime (ISO 8601, so it sorts as text); "" when the line has none. */
function startTimeOf(line: string): string {
  return /"startTime":"([^"]*)"/.exec(line)?.[1] ?? '';
}

function nameFromArn(arn: string): string {
  const d = parseDestination(arn);
  if (d?.type !== 'logs') throw new Error(`${arn} is not a CloudWatch Logs log group ARN`);
  return d.groupName;
}

export async function logsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string', default: './.trellis' },
      lines: { type: 'string', short: 'n', default: '10' },
      follow: { type: 'boolean', short: 'f', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) return void console.log(HELP);
  const [sub, group, ...extra] = positionals;
  if (sub !== 'tail' || group === undefined || extra.length > 0) throw new Error(`usage: trellis logs tail <group> [--data-dir DIR] [-n N] [--follow]`);
  const lines = Number(values.lines);
  if (!Number.isInteger(lines) || lines < 0) throw new Error(`--lines needs a whole number, got "${values.lines}"`);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.stdout.on('error', () => stop.abort()); // e.g. piped into head
  await tailLogGroup({
    dataDir: values['data-dir'], group, lines, follow: values.follow, signal: stop.signal,
    out: (line) => void process.stdout.write(line + '\n'),
  });
}
