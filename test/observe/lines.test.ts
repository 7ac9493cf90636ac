// linesToBuffer: the bytes of a batch are exactly the lines joined by "\n", UTF-8, whatever the lines hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linesToBuffer } from '../../src/observe/lines.ts';

test('a batch is its lines, each ended by a newline, in UTF-8 (multi-byte characters and growth included)', () => {
  const cases: string[][] = [
    [],
    ['{"a":1}'],
    ['{"userAgent":"naïve ☃ 𝄞"}', '{"requestPath":"/ü"}', 'x'.repeat(10_000)],
    Array.from({ length: 500 }, (_, i) => `{"i":${i},"ua":"${'€'.repeat(i % 50)}"}`),
    ['€'.repeat(5000), 'a'],
  ];
  for (const lines of cases) {
    assert.ok(linesToBuffer(lines).equals(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8')));
  }
});
