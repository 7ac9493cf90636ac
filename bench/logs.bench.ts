// npm run bench:logs — access log delivery to the CloudWatch Logs destination (JSON lines on
// local disk): the latency from emit() to the record being readable in its file, p50/p99/max,
// and what emit() costs the caller. Records are emitted at BENCH_RATE per second (default 20,000)
// for BENCH_SECONDS (default 5), in 1 ms ticks as a busy data plane would; a reader polls the
// file every 2 ms (so observed latency includes up to 2 ms of polling). The pipeline's own lag
// (emit to write completed) is printed too. Bounded; removes its temporary folder.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccessLogPipeline } from '../src/observe/pipeline.ts';
import { compileRouting } from '../src/observe/subscriptions.ts';
import { serviceAccessLogLine } from '../src/observe/record.ts';
import { logGroupDir } from '../src/observe/destinations/logs.ts';

const RATE = Number(process.env.BENCH_RATE ?? 20_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const FLUSH_MS = process.env.BENCH_FLUSH_MS ? Number(process.env.BENCH_FLUSH_MS) : undefined;
const TOTAL = Math.round(RATE * SECONDS);

const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-logs-'));
const account = '111122223333';
const serviceArn = `arn:aws:vpc-lattice:us-east-1:${account}:service/svc-0123456789abcdef0`;
const serviceNetworkArn = `arn:aws:vpc-lattice:us-east-1:${account}:servicenetwork/sn-0123456789abcdef0`;
const group = '/aws/vpclattice/bench';
const pipeline = new AccessLogPipeline({ dataDir: dir, region: 'us-east-1', log: (l) => console.error(l), flushIntervalMs: FLUSH_MS });
pipeline.update(compileRouting([{
  id: 'als-0123456789abcdef0', account, resourceId: 'svc-0123456789abcdef0', resourceArn: serviceArn,
  destinationArn: `arn:aws:logs:us-east-1:${account}:log-group:${group}`,
}]));

// A typical record: what the data plane would build for a forwarded GET.
const summary = {
  startMs: 0, endMs: 0, method: 'GET', path: '/api/orders?limit=20', protocol: 'HTTP/1.1', status: 200, responseCodeDetails: 'via_upstream',
  requestToTargetMs: 1, responseFromTargetMs: 4, bytesReceived: 312, bytesSent: 1840, userAgent: 'Mozilla/5.0 (bench)', host: 'orders.example',
  requestId: '', traceId: 'Root=1-67891233-abcdef012345678912345678', sourceIp: '10.0.1.25', sourcePort: 51234,
  sourceVpcArn: `arn:aws:ec2:us-east-1:${account}:vpc/vpc-0123456789abcdef0`, sourceVpcId: 'vpc-0123456789abcdef0', serviceNetworkArn, serviceArn,
  targetGroupArn: `arn:aws:vpc-lattice:us-east-1:${account}:targetgroup/tg-0123456789abcdef0`, targetAddress: '10.0.2.7', targetPort: 8080,
  destinationVpcId: 'vpc-0fedcba9876543210',
};

const emittedAt = new Float64Array(TOTAL);
const seenAt = new Float64Array(TOTAL);
let seen = 0;
let emitNs = 0n;
let buildNs = 0n;

// The reader: polls the group's files, stamps each record the first time it is readable.
let reading = true;
const reader = (async () => {
  const offsets = new Map<string, number>();
  const groupDir = logGroupDir(dir, group);
  while (reading || seen < TOTAL) {
    let files: string[] = [];
    try {
      for (const day of readdirSync(groupDir)) for (const f of readdirSync(join(groupDir, day))) files.push(join(groupDir, day, f));
    } catch { files = []; }
    for (const f of files.sort()) {
      const fh = await open(f, 'r');
      const { size } = await fh.stat();
      const at = offsets.get(f) ?? 0;
      if (size > at) {
        const buf = Buffer.alloc(size - at);
        await fh.read(buf, 0, buf.length, at);
        const end = buf.lastIndexOf(0x0a) + 1;
        offsets.set(f, at + end);
        const now = performance.now();
        for (const m of buf.subarray(0, end).toString('utf8').matchAll(/"requestId":"b-(\d+)"/g)) {
          seenAt[Number(m[1])] = now;
          seen++;
        }
      }
      await fh.close();
    }
    if (!reading && pipeline.stats().queued === 0 && seen >= pipeline.stats().delivered) break;
    await sleep(2);
  }
})();

const perTick = Math.max(1, Math.round(RATE / 1000));
const started = performance.now();
let i = 0;
while (i < TOTAL) {
  const due = Math.min(TOTAL, Math.round((performance.now() - started) * RATE / 1000) + perTick);
  while (i < due) {
    const t0 = process.hrtime.bigint();
    summary.requestId = `b-${i}`;
    summary.startMs = Date.now();
    summary.endMs = summary.startMs + 5;
    const line = serviceAccessLogLine(summary);
    const t1 = process.hrtime.bigint();
    emittedAt[i] = performance.now();
    pipeline.emit(line, { serviceArn, serviceNetworkArn });
    emitNs += process.hrtime.bigint() - t1;
    buildNs += t1 - t0;
    i++;
  }
  await sleep(1);
}
const elapsed = (performance.now() - started) / 1000;
reading = false;
await Promise.race([reader, sleep(10_000)]);
const stats = pipeline.stats();
await pipeline.close();
rmSync(dir, { recursive: true, force: true });

const lat: number[] = [];
for (let k = 0; k < TOTAL; k++) if (seenAt[k] > 0) lat.push(seenAt[k] - emittedAt[k]);
lat.sort((a, b) => a - b);
const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
console.log(`bench:logs  ${cpus().length} cores, ${TOTAL} records in ${elapsed.toFixed(1)} s (${Math.round(TOTAL / elapsed)}/s), flush interval ${FLUSH_MS ?? 200} ms`);
console.log(`  emit -> readable in the log file   p50 ${pct(0.5).toFixed(1)} ms   p99 ${pct(0.99).toFixed(1)} ms   max ${lat[lat.length - 1]?.toFixed(1)} ms   (${lat.length} seen)`);
console.log(`  emit -> write done (pipeline lag)   p50 ${stats.lagMs.p50} ms   p99 ${stats.lagMs.p99} ms   max ${stats.lagMs.max} ms (last 8192 records)`);
console.log(`  per record: JSON line ${(Number(buildNs) / TOTAL).toFixed(0)} ns, emit ${(Number(emitNs) / TOTAL).toFixed(0)} ns (enqueue)`);
console.log(`  delivered ${stats.delivered}, dropped ${stats.dropped}, spooled bytes at the end ${stats.spilledBytes}`);
console.log('goal (issue 6): p99 under 1 s from response to record at the destination; emit O(1), no I/O');
