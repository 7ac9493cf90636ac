// Spool folders of an earlier run with another --workers count are handed to this run's processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { adoptSpools } from '../../src/observe/spools.ts';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

function tree(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string) => { for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : out.push(relative(root, join(d, e.name))); };
  walk(root);
  return out.sort();
}

function seed(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-spools-'));
  for (const f of files) {
    mkdirSync(join(dir, 'spool', f, '..'), { recursive: true });
    writeFileSync(join(dir, 'spool', f), 'x');
  }
  return dir;
}

test('adoptSpools: single-process and surplus worker folders go to this run\'s workers; nothing else moves', () => {
  const dir = seed([`${A}/0001-1.ndjson`, `w0/${A}/0002-1.ndjson`, `w1/${B}/0003-1.ndjson`, `w2/${A}/0004-1.ndjson`, `w3/${B}/0005-1.ndjson`, `w3/${B}/0006-1.ndjson.tmp`, 'other/keep']);
  try {
    adoptSpools(dir, 2, () => {});
    assert.deepEqual(tree(join(dir, 'spool')), [`other/keep`, `w0/${A}/0001-1.ndjson`, `w0/${A}/0002-1.ndjson`, `w0/${A}/0004-1.ndjson`, `w1/${B}/0003-1.ndjson`, `w1/${B}/0005-1.ndjson`].sort());
    // Back to one process: every worker's segments become the single pipeline's.
    adoptSpools(dir, 1, () => {});
    assert.deepEqual(tree(join(dir, 'spool')), [`${A}/0001-1.ndjson`, `${A}/0002-1.ndjson`, `${A}/0004-1.ndjson`, `${B}/0003-1.ndjson`, `${B}/0005-1.ndjson`, 'other/keep'].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
