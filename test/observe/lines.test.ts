// linesToBuffer: the bytes of a batch are exactly the lines joined by "\n", UTF-8, whatever the lines hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineBuffer, linesToBuffer } from '../../src/observe/lines.ts';

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

test('a LineBuffer gives the same bytes batch after batch, growing, shrinking and with multi-byte lines', () => {
  const enc = new LineBuffer();
  const batches: string[][] = [
    ['{"a":1}', '{"b":2}'],
    Array.from({ length: 2000 }, (_, i) => `{"i":${i},"pad":"${'x'.repeat(i % 90)}"}`),
    ['{"ua":"naïve"}', '€'.repeat(40_000), 'tail'],
    ['short'],
    Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? `{"p":"/ü/${i}"}` : `{"p":"/${i}"}`)),
    [],
  ];
  for (let round = 0; round < 2; round++) {
    for (const lines of batches) {
      const got = Buffer.from(enc.encode(lines)); // copied: valid only until the next call
      assert.ok(got.equals(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8')));
    }
  }
});
