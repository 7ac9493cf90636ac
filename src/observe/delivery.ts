// Delivery of access log records to one destination: batched, in order, with bounded memory.
//
// A queue holds the JSON lines of one subscription. `push` only appends to an array (the data
// plane's hot path calls it); a timer or a full batch starts the pump, which hands batches to the
// destination's Sink one at a time, so records arrive in the order they were pushed. When the
// destination is slow or down, records go to disk ("spool" segments under the queue's own
// folder) and the pump retries with exponential backoff; once the destination answers again, it
// delivers the segments oldest first, then what is in memory. Order invariant: every spooled
// record is older than every record in memory, and memory batches are only taken when the spool
// is empty. Records are dropped (and counted) only when the memory budget is full at push or the
// disk budget is full when a segment would be written. Delivery is at least once: a batch that
// failed part way (or a segment interrupted by a crash) is sent again whole.
import { mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Shared } from './accounting.ts';

/** Where one destination's batches go. */
export interface Sink {
  /** For log lines: "log group x", "bucket y" ... */
  readonly describe: string;
  readonly maxBatchRecords: number;
  /** Bytes (UTF-16 code units, close enough for JSON lines) of one batch. */
  readonly maxBatchBytes: number;
  /** Delivers lines (one JSON record each, without a newline) in order; rejects when they were not. */
  deliver(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface QueueOptions {
  /** This queue's own folder for spool segments. */
  spoolDir: string;
  /** How long a record may wait in memory for later ones to share its batch. */
  batchWindowMs: number;
  /** Bytes in memory past which records go to disk instead. */
  spillBytes: number;
}

interface Segment {
  /** Order of creation (also the file name), so spool order is record order, across restarts too. */
  ord: number;
  state: 'writing' | 'stored';
  file: string;
  count: number;
  /** Records of it already delivered (a segment larger than a batch goes in several). */
  offset: number;
  diskBytes: number;
  /** When its first record was pushed (for a segment of an earlier run: when it was made). */
  t0: number;
  /** Until written: the records, and the memory they hold. */
  lines?: string[];
  times?: number[];
  memBytes: number;
  done?: Promise<void>;
}

const SEGMENT = /^(\d{16})-(\d+)\.ndjson$/;

export class DeliveryQueue {
  readonly sink: Sink;
  readonly #s: Shared;
  readonly #o: QueueOptions;
  #lines: string[] = [];
  #times: number[] = [];
  #bytes = 0;
  #inflight = 0;
  #inflightT0 = 0;
  readonly #spool: Segment[] = [];
  #spoolCount = 0;
  #spoolBytes = 0;
  // Segment numbers start at the clock (in µs), so segments of an earlier run sort first.
  #ord = Date.now() * 1000;
  readonly #ready: Promise<void>;
  #pump: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #immediate = false;
  #backoffMs = 0;
  #retryAt = 0;
  #failing = false;
  #diskFullLogged = false;
  #closed = false;
  #stopped = false;
  #closing: Promise<void> | undefined;
  delivered = 0;
  dropped = 0;

  constructor(sink: Sink, shared: Shared, opts: QueueOptions) {
    this.sink = sink;
    this.#s = shared;
    this.#o = opts;
    this.#ready = this.#recover();
  }

  /** Records waiting: in memory, being delivered, or spooled on disk. */
  get queued(): number { return this.#lines.length + this.#inflight + this.#spoolCount; }
  get spilledBytes(): number { return this.#spoolBytes; }
  get failing(): boolean { return this.#failing; }
  /** When the oldest waiting record was pushed; undefined when none waits. */
  get oldest(): number | undefined {
    if (this.#spool.length > 0) return this.#spool[0].t0;
    return this.#inflight > 0 ? this.#inflightT0 : this.#times[0];
  }

  /** Appends one record; O(1), no I/O. */
  push(line: string, t: number): void {
    if (this.#closed || !this.#s.memory.take(line.length)) return this.#drop(1);
    this.#lines.push(line);
    this.#times.push(t);
    this.#bytes += line.length;
    if (this.#bytes >= this.#o.spillBytes) this.#spillMemory();
    if (this.#pump) return; // it takes these next
    if (this.#failing) {
      if (!this.#timer) this.#arm(this.#retryAt - t);
      return;
    }
    if (this.#bytes >= this.sink.maxBatchBytes || this.#lines.length >= this.sink.maxBatchRecords) this.#soon();
    else if (!this.#timer) this.#arm(this.#o.batchWindowMs);
  }

  #drop(n: number): void {
    this.dropped += n;
    this.#s.totals.dropped += n;
  }

  #arm(ms: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => { this.#timer = undefined; this.#run(); }, Math.max(0, ms));
    this.#timer.unref();
  }

  #soon(): void {
    if (this.#immediate || this.#stopped) return;
    this.#immediate = true;
    setImmediate(() => { this.#immediate = false; this.#run(); });
  }

  #run(): void {
    if (this.#pump || this.#stopped) return;
    this.#pump = this.#loop().catch((err: unknown) => this.#s.log(`access logs: ${this.sink.describe}: ${String(err)}`))
      .finally(() => { this.#pump = undefined; this.#next(); });
  }

  /** After the pump stops: when should it run again? */
  #next(): void {
    if (this.#stopped || (this.#lines.length === 0 && this.#spoolCount === 0)) return;
    const now = this.#s.now();
    if (this.#retryAt > now) return this.#arm(this.#retryAt - now);
    if (this.#spool.length > 0) return this.#soon();
    const full = this.#bytes >= this.sink.maxBatchBytes || this.#lines.length >= this.sink.maxBatchRecords;
    this.#arm(full || this.#closed ? 0 : this.#times[0] + this.#o.batchWindowMs - now);
  }

  async #loop(): Promise<void> {
    await this.#ready;
    while (!this.#stopped && this.#s.now() >= this.#retryAt) {
      const seg = this.#spool[0];
      if (seg) {
        if (seg.state === 'writing') {
          await seg.done;
          continue;
        }
        if (!(await this.#sendSegment(seg))) return;
        continue;
      }
      if (this.#lines.length === 0) return;
      const full = this.#bytes >= this.sink.maxBatchBytes || this.#lines.length >= this.sink.maxBatchRecords;
      if (!full && !this.#closed && this.#s.now() - this.#times[0] < this.#o.batchWindowMs) return;
      const { lines, times, bytes } = this.#take();
      this.#inflight = lines.length;
      this.#inflightT0 = times[0];
      const ok = await this.#send(lines, times);
      this.#inflight = 0;
      if (ok) {
        this.#s.memory.give(bytes);
      } else {
        // The spool is empty when a memory batch is taken, so segments spilled meanwhile are newer.
        this.#spill(lines, times, bytes, true);
        return;
      }
    }
  }

  /** Takes the oldest records that fit one batch. */
  #take(): { lines: string[]; times: number[]; bytes: number } {
    let n = 0;
    let bytes = 0;
    while (n < this.#lines.length && n < this.sink.maxBatchRecords && (n === 0 || bytes + this.#lines[n].length <= this.sink.maxBatchBytes)) {
      bytes += this.#lines[n].length;
      n++;
    }
    let lines: string[];
    let times: number[];
    if (n === this.#lines.length) {
      lines = this.#lines;
      times = this.#times;
      this.#lines = [];
      this.#times = [];
    } else {
      lines = this.#lines.splice(0, n);
      times = this.#times.splice(0, n);
    }
    this.#bytes -= bytes;
    return { lines, times, bytes };
  }

  async #send(lines: readonly string[], times: readonly number[]): Promise<boolean> {
    try {
      await this.sink.deliver(lines);
    } catch (err) {
      this.#s.totals.failures++;
      this.#backoffMs = Math.min(this.#s.retry.maxMs, this.#backoffMs ? this.#backoffMs * 2 : this.#s.retry.initialMs);
      this.#retryAt = this.#s.now() + this.#backoffMs * (0.8 + Math.random() * 0.4);
      if (!this.#failing) this.#s.log(`access logs: ${this.sink.describe}: delivery failed (${err instanceof Error ? err.message : String(err)}); buffering and retrying`);
      this.#failing = true;
      return false;
    }
    const now = this.#s.now();
    for (const t of times) this.#s.lag.add(now - t);
    this.delivered += lines.length;
    this.#s.totals.delivered += lines.length;
    if (this.#failing) this.#s.log(`access logs: ${this.sink.describe}: delivering again`);
    this.#failing = false;
    this.#backoffMs = 0;
    this.#retryAt = 0;
    return true;
  }

  /** Delivers the rest of a stored segment, a batch at a time; false when the destination failed. */
  async #sendSegment(seg: Segment): Promise<boolean> {
    let lines: string[];
    let times: number[];
    try {
      ({ lines, times } = parseSegment(await readFile(seg.file, 'utf8')));
    } catch (err) {
      this.#s.log(`access logs: ${this.sink.describe}: spool segment ${seg.file} unreadable, ${seg.count - seg.offset} records lost: ${String(err)}`);
      this.#drop(seg.count - seg.offset);
      this.#forget(seg);
      return true;
    }
    while (seg.offset < lines.length) {
      let end = seg.offset;
      let bytes = 0;
      while (end < lines.length && end - seg.offset < this.sink.maxBatchRecords && (end === seg.offset || bytes + lines[end].length <= this.sink.maxBatchBytes)) bytes += lines[end++].length;
      if (!(await this.#send(lines.slice(seg.offset, end), times.slice(seg.offset, end)))) return false;
      this.#spoolCount -= end - seg.offset;
      seg.offset = end;
      if (this.#stopped) return false;
    }
    this.#forget(seg);
    return true;
  }

  /** Removes a stored segment from the spool, its file from disk and its bytes from the budget. */
  #forget(seg: Segment): void {
    const i = this.#spool.indexOf(seg);
    if (i >= 0) this.#spool.splice(i, 1);
    this.#spoolCount -= seg.count - seg.offset;
    this.#spoolBytes -= seg.diskBytes;
    this.#s.disk.give(seg.diskBytes);
    unlink(seg.file).catch(() => {});
  }

  /** Moves everything in memory to a new spool segment (written to disk in a later turn). */
  #spillMemory(): void {
    if (this.#lines.length === 0) return;
    const lines = this.#lines;
    const times = this.#times;
    const bytes = this.#bytes;
    this.#lines = [];
    this.#times = [];
    this.#bytes = 0;
    this.#spill(lines, times, bytes, false);
  }

  #spill(lines: string[], times: number[], memBytes: number, first: boolean): void {
    const ord = this.#ord++;
    const seg: Segment = {
      ord, state: 'writing', file: join(this.#o.spoolDir, `${String(ord).padStart(16, '0')}-${lines.length}.ndjson`),
      count: lines.length, offset: 0, diskBytes: 0, t0: times[0], lines, times, memBytes,
    };
    if (first) this.#spool.unshift(seg);
    else this.#spool.push(seg);
    this.#spoolCount += seg.count;
    seg.done = this.#write(seg);
  }

  async #write(seg: Segment): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // never in the caller's turn (emit)
    const body = JSON.stringify({ t: seg.times }) + '\n' + seg.lines!.join('\n') + '\n';
    const size = Buffer.byteLength(body);
    let stored = false;
    if (this.#s.disk.take(size)) {
      try {
        await mkdir(this.#o.spoolDir, { recursive: true });
        await writeFile(seg.file + '.tmp', body);
        await rename(seg.file + '.tmp', seg.file);
        stored = true;
      } catch (err) {
        this.#s.disk.give(size);
        this.#s.log(`access logs: ${this.sink.describe}: cannot write spool segment ${seg.file}: ${String(err)}`);
      }
    } else if (!this.#diskFullLogged) {
      this.#diskFullLogged = true;
      this.#s.log(`access logs: ${this.sink.describe}: disk budget (${this.#s.disk.limit} bytes) exhausted; dropping records`);
    }
    this.#s.memory.give(seg.memBytes);
    seg.lines = undefined;
    seg.times = undefined;
    if (stored) {
      seg.state = 'stored';
      seg.diskBytes = size;
      this.#spoolBytes += size;
      this.#diskFullLogged = false;
    } else {
      this.#drop(seg.count);
      const i = this.#spool.indexOf(seg);
      if (i >= 0) {
        this.#spool.splice(i, 1);
        this.#spoolCount -= seg.count;
      }
    }
    if (!this.#pump) this.#next();
  }

  /** Finds segments a previous run left (delivered before anything newer). */
  async #recover(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.#o.spoolDir);
    } catch {
      return;
    }
    const found: Segment[] = [];
    for (const name of names.sort()) {
      const m = SEGMENT.exec(name);
      const file = join(this.#o.spoolDir, name);
      if (!m) {
        if (name.endsWith('.tmp')) await unlink(file).catch(() => {});
        continue;
      }
      const size = await stat(file).then((s) => s.size, () => -1);
      if (size < 0) continue;
      this.#s.disk.used += size; // counted even past the budget: the bytes are there
      found.push({ ord: Number(m[1]), state: 'stored', file, count: Number(m[2]), offset: 0, diskBytes: size, t0: Math.floor(Number(m[1]) / 1000), memBytes: 0 });
    }
    for (const seg of found) {
      this.#spoolCount += seg.count;
      this.#spoolBytes += seg.diskBytes;
    }
    this.#spool.unshift(...found);
    if (found.length > 0 && !this.#pump) this.#soon();
  }

  /**
   * Stops taking records and flushes: what is in memory is delivered when the destination is
   * healthy and nothing is spooled, and spooled otherwise; spooled segments stay on disk for the
   * next run. Never rejects.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await this.#ready;
      clearTimeout(this.#timer);
      this.#stopped = true;
      if (this.#pump) await this.#pump;
      while (this.#lines.length > 0 && this.#spool.length === 0 && this.#s.now() >= this.#retryAt) {
        const { lines, times, bytes } = this.#take();
        if (await this.#send(lines, times)) this.#s.memory.give(bytes);
        else this.#spill(lines, times, bytes, true);
      }
      this.#spillMemory();
      await Promise.all(this.#spool.map((seg) => seg.done));
      await this.sink.close().catch((err: unknown) => this.#s.log(`access logs: ${this.sink.describe}: close: ${String(err)}`));
    })();
    return this.#closing;
  }

  /** Takes records again after retire() (the subscription came back before it finished). */
  revive(): boolean {
    if (this.#stopped || this.#closing) return false;
    this.#closed = false;
    return true;
  }

  /**
   * For a subscription that was deleted: stops taking records, keeps delivering (with retries) for
   * up to graceMs, then drops what is left and deletes its spool folder.
   */
  async retire(graceMs: number): Promise<void> {
    this.#closed = true;
    if (!this.#pump) this.#next();
    const deadline = this.#s.now() + graceMs;
    while (this.#closed && this.queued > 0 && this.#s.now() < deadline && !this.#closing) await sleep(25, undefined, { ref: false });
    if (this.#closing) return this.#closing; // the pipeline closes: keep the rest for the next run
    if (!this.#closed) return; // revived: the subscription is back
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#pump) await this.#pump;
    await Promise.all(this.#spool.map((seg) => seg.done)); // a segment the disk budget refused is counted there
    const left = this.queued;
    if (left > 0) {
      this.#s.log(`access logs: ${this.sink.describe}: subscription removed, ${left} undelivered records dropped`);
      this.#drop(left);
    }
    this.#s.memory.give(this.#bytes);
    this.#s.disk.give(this.#spoolBytes);
    this.#lines = [];
    this.#times = [];
    this.#spool.length = 0;
    this.#spoolCount = 0;
    this.#spoolBytes = 0;
    await rm(this.#o.spoolDir, { recursive: true, force: true }).catch(() => {});
    await this.sink.close().catch(() => {});
  }
}

/** A spool segment: a header line {"t":[push times]} then one record per line. */
function parseSegment(text: string): { lines: string[]; times: number[] } {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const header = JSON.parse(lines.shift() ?? '{}') as { t?: number[] };
  const times = Array.isArray(header.t) && header.t.length === lines.length ? header.t : lines.map(() => Date.now());
  return { lines, times };
}
