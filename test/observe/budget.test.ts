// Bounded resources: when the destination is down and the disk budget runs out, records are
// dropped and counted, memory stays within its budget, and what was kept arrives in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccessLogPipeline } from '../../src/observe/pipeline.ts';
import { compileRouting } from '../../src/observe/subscriptions.ts';
import { DeliveryQueue, type Sink } from '../../src/observe/delivery.ts';
import { Budget, LagRecorder, type Shared } from '../../src/observe/accounting.ts';
import { line, logGroup, record, sub, svcArn, tempDir, waitFor } from './accesslog-helpers.ts';

const SVC = 'svc-0000000000000000a';

/** A sink that fails while `down`, and keeps what it is given. */
class FlakySink implements Sink {
  readonly describe = 'test sink';
  readonly maxBatchRecords = 100;
  readonly maxBatchBytes = 256 * 1024;
  down = true;
  got: string[] = [];
  async deliver(lines: readonly string[]): Promise<void> {
    await sleep(1);
    if (this.down) throw new Error('destination down');
    this.got.push(...lines);
  }
  async close(): Promise<void> {}
}

function diskUse(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

test('disk budget exhausted: dropped records are counted, memory and disk stay bounded', async () => {
  const dir = tempDir();
  const logs: string[] = [];
  const shared: Shared = {
    now: Date.now, log: (l) => logs.push(l), memory: new Budget(512 * 1024), disk: new Budget(256 * 1024),
    lag: new LagRecorder(), totals: { delivered: 0, dropped: 0, failures: 0 }, retry: { initialMs: 10, maxMs: 40 },
  };
  const sink = new FlakySink();
  const q = new DeliveryQueue(sink, shared, { spoolDir: join(dir, 'spool'), batchWindowMs: 5, spillBytes: 32 * 1024 });
  const line = (i: number) => JSON.stringify(record(i));
  const N = 5000; // about 4.5 MB of records: far more than the 256 KiB of disk and 512 KiB of memory
  let maxMemory = 0;
  for (let i = 0; i < N; i++) {
    q.push(line(i), Date.now());
    maxMemory = Math.max(maxMemory, shared.memory.used);
    if (i % 100 === 99) await sleep(1);
  }
  await waitFor('spool writes settled', () => shared.memory.used < 64 * 1024 && shared.totals.failures > 0);
  assert.ok(maxMemory <= 512 * 1024, `memory ${maxMemory}`);
  assert.ok(shared.totals.dropped > 0, 'records were dropped');
  assert.equal(q.dropped, shared.totals.dropped);
  assert.ok(shared.disk.used <= 256 * 1024);
  assert.ok(diskUse(join(dir, 'spool')) <= 256 * 1024);
  assert.ok(logs.some((l) => /disk budget \(262144 bytes\) exhausted/.test(l)), logs.join('\n'));
  assert.equal(q.queued + shared.totals.dropped, N);

  // Back up: what was kept arrives, oldest first, each once; nothing is left behind.
  const kept = q.queued;
  sink.down = false;
  await waitFor('the kept records delivered', () => q.queued === 0);
  assert.equal(sink.got.length, kept);
  const ids = sink.got.map((l) => Number((JSON.parse(l) as { requestId: string }).requestId.slice(4)));
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `in order at ${i}: ${ids[i - 1]} then ${ids[i]}`);
  assert.equal(shared.disk.used, 0);
  assert.equal(shared.memory.used, 0);
  await q.close();
  rmSync(dir, { recursive: true, force: true });
});

test('memory budget full at emit: the record is dropped at once, never waited for', async () => {
  const dir = tempDir();
  const p = new AccessLogPipeline({
    dataDir: dir, region: 'us-east-1', log: () => {}, memoryBudgetBytes: 64 * 1024, spillBytes: 1024 * 1024, flushIntervalMs: 60_000,
  });
  p.update(compileRouting([sub(SVC, svcArn(SVC), logGroup('g'))]));
  for (let i = 0; i < 1000; i++) p.emit(line(i), { serviceArn: svcArn(SVC) });
  const s = p.stats();
  assert.ok(s.memoryBytes <= 64 * 1024);
  assert.ok(s.dropped > 0);
  assert.equal(s.queued + s.dropped, 1000);
  await p.close(); // flushes what was kept
  assert.equal(p.stats().delivered, s.queued);
  rmSync(dir, { recursive: true, force: true });
});

test('no room on disk: a failing destination still gets new records once it is back', async () => {
  const dir = tempDir();
  const shared: Shared = {
    now: Date.now, log: () => {}, memory: new Budget(1024 * 1024), disk: new Budget(1),
    lag: new LagRecorder(), totals: { delivered: 0, dropped: 0, failures: 0 }, retry: { initialMs: 10, maxMs: 20 },
  };
  const sink = new FlakySink();
  const q = new DeliveryQueue(sink, shared, { spoolDir: join(dir, 'spool'), batchWindowMs: 5, spillBytes: 1024 * 1024 });
  for (let i = 0; i < 5; i++) q.push(JSON.stringify(record(i)), Date.now());
  await waitFor('the batch failed and was dropped', () => shared.totals.dropped === 5);
  assert.equal(q.failing, true);
  sink.down = false;
  q.push(JSON.stringify(record(5)), Date.now());
  await waitFor('the new record delivered', () => sink.got.length === 1);
  assert.equal(q.failing, false);
  await q.close();
  rmSync(dir, { recursive: true, force: true });
});
